"""The store of what users create: the handling-list register now; conversations, feedback, users and the audit
log later. One SQLite file under the data folder (Settings.data_dir / "qa.sqlite3"), standard-library sqlite3.

In: records to keep (a proposal of a handling list, a draft revision, a status change). Out: the same records read
back, with their history.

Modules, each importing only those listed before it:

- db: the connection (one per thread, WAL, busy timeout), transactions, and the one place SQL parameters are
  written for the driver (SQL is written with ``?``; a PostgreSQL connection would get ``%s``).
- migrations: the schema as ordered, versioned steps in portable SQL, applied once each (schema_migrations).
- register: the handling-list register (proposals, their precedents, draft revisions, events).
"""

from __future__ import annotations

from pathlib import Path

from qa.config import Settings

STORE_FILE = "qa.sqlite3"


def store_path(settings: Settings) -> Path:
    """Where the store lives: data_dir/qa.sqlite3."""
    return settings.data_dir / STORE_FILE
