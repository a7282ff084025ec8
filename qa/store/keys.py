"""API keys for the OpenAI-compatible API: one or more per user, created by an admin (`qa keys create USER`).

A key is ``qa-`` plus 32 random bytes (url-safe base64); it is shown once, and only its SHA-256 is stored, with
a short prefix so an admin can tell keys apart in `qa keys list`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from qa.store.db import Database, StoreError
from qa.store.migrations import migrate, now

KEY_PREFIX = "qa-"


def key_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class ApiKey:
    id: int
    owner: str
    prefix: str
    created_at: str
    last_used_at: str
    revoked_at: str

    @property
    def active(self) -> bool:
        return not self.revoked_at


class ApiKeys:
    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    def create(self, owner: str) -> str:
        """A new key for `owner`; the returned token is the only time it exists in clear."""
        owner = (owner or "").strip()
        if not owner or any(ch.isspace() for ch in owner):
            raise StoreError("用户名不能为空，也不能包含空格")
        token = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO api_keys (owner, key_hash, prefix, created_at) VALUES (?, ?, ?, ?)",
                (owner, key_hash(token), token[:10], now()),
            )
        return token

    def list(self) -> list[ApiKey]:
        rows = self.db.query("SELECT id, owner, prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY id")
        return [ApiKey(**r) for r in rows]

    def any_active(self) -> bool:
        return self.db.one("SELECT 1 AS x FROM api_keys WHERE revoked_at = '' LIMIT 1") is not None

    def verify(self, token: str) -> str | None:
        """The owner of an active key, or None. The hash is compared in constant time."""
        if not token or not token.startswith(KEY_PREFIX) or len(token) > 200:
            return None
        digest = key_hash(token)
        row = self.db.one("SELECT id, owner, key_hash FROM api_keys WHERE key_hash = ? AND revoked_at = ''", (digest,))
        if row is None or not hmac.compare_digest(row["key_hash"], digest):
            return None
        with self.db.transaction():
            self.db.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (now(), row["id"]))
        return str(row["owner"])

    def revoke(self, who: str) -> int:
        """Revoke a key by its id or prefix, or every key of a user; returns how many were revoked."""
        who = (who or "").strip()
        if not who:
            raise StoreError("请给出要吊销的密钥编号、前缀或用户名")
        with self.db.transaction():
            cur = self.db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE revoked_at = '' AND "
                "(CAST(id AS TEXT) = ? OR prefix = ? OR owner = ?)",
                (now(), who, who, who),
            )
        if not cur.rowcount:
            raise StoreError(f"没有找到未吊销的密钥“{who}”（可用编号、前缀或用户名）")
        return int(cur.rowcount)
