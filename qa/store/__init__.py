"""The store of what users create: the handling-list register, conversations, feedback, users, API keys and the
audit log. One SQLite file under the data folder (Settings.data_dir / "qa.sqlite3"), standard-library sqlite3 —
or, when QA_DATABASE_URL is set, the same tables on that PostgreSQL server (qa.store.pg, psycopg 3), through the
same data-access layer and migrations. `open_database(settings)` is the one way in.

In: records to keep (a proposal of a handling list, a draft revision, a status change). Out: the same records read
back, with their history.

Modules, each importing only those listed before it:

- db: the connection (one per thread, WAL, busy timeout), transactions, and the one place SQL parameters are
  written for the driver (SQL is written with ``?``; a PostgreSQL connection would get ``%s``).
- migrations: the schema as ordered, versioned steps in portable SQL, applied once each (schema_migrations).
- pg: the same Database interface on PostgreSQL (``%s`` parameters, an advisory write lock per transaction).
- location: a path or a postgresql:// URL, opened as the one or the other (`open_at`).
- register: the handling-list register (proposals, their precedents, draft revisions, events).
"""

from __future__ import annotations

from pathlib import Path

from qa.config import Settings
from qa.store.db import Database
from qa.store.location import open_at

STORE_FILE = "qa.sqlite3"


def store_path(settings: Settings) -> Path:
    """Where the store lives: data_dir/qa.sqlite3."""
    return settings.data_dir / STORE_FILE


def store_location(settings: Settings) -> str:
    """The PostgreSQL URL when QA_DATABASE_URL is set, else the SQLite file's path."""
    return settings.database_url or str(store_path(settings))


def open_database(settings: Settings) -> Database:
    """The store these settings name: PostgreSQL when QA_DATABASE_URL is set, else data_dir/qa.sqlite3."""
    return open_at(store_location(settings))
