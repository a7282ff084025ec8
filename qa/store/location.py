"""Where the store is: a SQLite file path, or a PostgreSQL URL (QA_DATABASE_URL); `open_at` opens either."""

from __future__ import annotations

from pathlib import Path

from qa.store.db import Database

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def open_at(location: str | Path) -> Database:
    """The store at a file path (SQLite) or a postgresql:// URL (PostgreSQL), through the same Database API."""
    if is_url(location):
        from qa.store.pg import PostgresDatabase

        return PostgresDatabase(str(location))
    return Database(Path(location))


def cache_key(location: str | Path) -> str:
    """One key per store, for the per-process caches of opened stores."""
    return str(location) if is_url(location) else str(Path(location).resolve())
