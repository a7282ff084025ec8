"""Retrieval-augmented question answering and reply drafting over Chinese government health documents."""

from qa.config import Settings, load_settings
from qa.errors import QAError
from qa.records import Answer, Chunk, Citation, DocMeta, Document, Draft, Hit, Precedent, Proposal, Section

__all__ = [
    "Answer",
    "Chunk",
    "Citation",
    "DocMeta",
    "Document",
    "Draft",
    "Hit",
    "Precedent",
    "Proposal",
    "QAError",
    "Section",
    "Settings",
    "load_settings",
]
