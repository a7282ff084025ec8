"""One object the app's handlers ask about security: who the request's user is and what they may do, the login
check, the upload desk (review, versions, quotas) and the audit log — all over the store in data_dir/qa.sqlite3.

``Service`` holds one ``Guard``; the handlers take ``request: gr.Request`` and call ``guard.user(request)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import QAError
from qa.store import open_database
from qa.store.audit import AuditLog
from qa.store.db import Database
from qa.store.provenance import Provenance, origins
from qa.store.users import UserStore
from qa.web.auth import ANONYMOUS, Authenticator, ClientAddress, User, bind_warning, require, review_enabled
from qa.web.review import UploadDesk


class Guard:
    """Users, roles, login, review and audit for one app process.

    Whether login is on is decided once, at startup (gradio's login page is set up then): accounts added later
    with `qa users add` can log in at once if login was already on; turning login on needs a restart.
    """

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or open_database(settings)
        self.users = UserStore(self.db)
        self.audit = AuditLog(self.db)
        self.provenance = Provenance(self.db)
        self.authenticator = Authenticator(settings, self.users, self.audit)
        self.login_on = self.authenticator.login_on
        self.review = review_enabled(settings, self.login_on)
        self.desk = UploadDesk(settings, self.provenance, self.audit, review=self.review)

    def auth(self) -> Authenticator | None:
        """What to pass as ``launch(auth=…)``: the throttled, audited login check, or None when login is off."""
        return self.authenticator if self.login_on else None

    def user(self, request: Any) -> User:
        """The user behind a gradio request (ANONYMOUS, with every right, when login is off)."""
        if not self.login_on:
            return ANONYMOUS
        return self.authenticator.role_of(getattr(request, "username", None) if request is not None else None)

    @staticmethod
    def ip(request: Any) -> str:
        client = getattr(request, "client", None)
        return str(getattr(client, "host", "") or "")

    def check(self, request: Any, action: str) -> User:
        """The request's user, when their role allows the action.

        Raises:
            PermissionDenied: with the Chinese message to show (the refusal is audited).
        """
        user = self.user(request)
        try:
            require(user, action)
        except QAError as err:
            event = {"ask": "ask", "draft": "draft"}.get(action, "user")
            self.record(event, request, outcome="refused", detail=str(err))
            raise
        return user

    def record(self, action: str, request: Any, *, outcome: str = "ok", target: str = "", detail: str = "") -> None:
        """Audit one event of the request's user; a store failure is printed, never raised into the answer path."""
        try:
            name = self.user(request).name if self.login_on else ""
            self.audit.record(action, name, outcome=outcome, target=target, detail=detail, ip=self.ip(request))
        except (QAError, OSError) as err:
            print(f"审计日志写入失败：{err}", file=sys.stderr, flush=True)

    def origins(self, sources: Iterable[str | Path]) -> dict[str, str]:
        """Origin label (官方文件 / 上传：张三 · 日期 · 版本 · 状态) per indexed source path."""
        return origins(self.provenance, sources, self.settings.data_dir / "uploads")

    def doc_origins(self, manifest: Mapping[str, Any] | None, doc_ids: Iterable[str] | None = None) -> dict[str, str]:
        """Origin label per doc_id of an index, from its manifest's "files" (path → {"doc_ids": […]}); only for
        ``doc_ids`` when given (an answer's citations), so a large library is not walked per answer."""
        files = (manifest or {}).get("files") or {}
        if not isinstance(files, Mapping):
            return {}
        wanted = None if doc_ids is None else set(doc_ids)
        docs = {
            doc: str(src)
            for src, entry in files.items()
            for doc in (entry or {}).get("doc_ids", ())
            if wanted is None or doc in wanted
        }
        labels = self.origins(set(docs.values()))
        return {doc: labels[src] for doc, src in docs.items()}

    def launch_options(self, host: str, share: bool = False) -> dict[str, Any]:
        """The keyword arguments of ``demo.launch`` for login: the throttled login check (or none), the login
        page's note, and the middleware that gives the check each client's address. Prints the bind warning
        when the app is reachable from other machines without a login."""
        from starlette.middleware import Middleware

        warning = bind_warning(host, self.login_on, share)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        tries = self.settings.login_max_failures
        note = f"请使用分配的账号登录。连续输错 {tries} 次密码，该账号在此电脑上将暂停登录几分钟。"
        return {
            "auth": self.auth(),
            "auth_message": note if self.login_on else None,
            "app_kwargs": {"middleware": [Middleware(ClientAddress)]},
        }
