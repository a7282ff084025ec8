"""One small exception family whose messages tell the user what is wrong and what to do."""

from __future__ import annotations


class QAError(Exception):
    """Base of every error the CLI and app show to a user as one readable line."""


class IngestError(QAError):
    """A file cannot be read into text (empty, binary, corrupt, scanned, unsupported)."""


class IngestWarning(UserWarning):
    """A file was read, but part of it was not (a scanned page OCR could not read): indexed, and reported."""


class IndexMissingError(QAError):
    """No index where one was expected."""


class IndexMismatchError(QAError):
    """The index on disk was built by another embedder or format version."""


class QuestionError(QAError):
    """A question is empty or too long."""


class GeneratorError(QAError):
    """The configured LLM endpoint failed (timeout, connection, bad reply)."""


class ConfigError(QAError):
    """A setting has a value that cannot work."""
