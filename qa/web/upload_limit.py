"""The file-size refusal in Chinese, wherever gradio produces it (without touching gradio's installed files).

Gradio refuses a file over ``max_file_size`` (QA_UPLOAD_MAX_MB) in two places, both in English:

- in the browser, before anything is sent: gradio's client (``upload`` in @gradio/client) throws
  ``File(s) exceed the maximum allowed size of 50.0 Mb: "名.pdf"`` and the page shows it as an error toast — this
  is what an official dragging a big file onto the page sees; ``toast_script`` rewrites that toast's text;
- on the server, for any client that sends the file anyway (an API client, an older page): gradio's ``/upload``
  route (and its other multipart routes) answer HTTP 413 with ``File size exceeded maximum allowed size of …
  bytes.`` (gradio/route_utils.py); ``UploadLimitMessage`` rewrites the body of every 413 the app sends. A browser
  that gets it shows ``HTTP 413: <body>``, which the script rewrites too.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def size_message(limit_mb: int | float, names: str = "") -> str:
    """The Chinese refusal; ``names``, when known, says which files (“甲.pdf”、“乙.pdf”)."""
    return f"{names or '文件'}超过 {limit_mb:g} MB 的上传上限，请压缩或拆分后再上传"


class UploadLimitMessage:
    """ASGI middleware: every HTTP 413 response (the app's only ones are gradio's file-size refusals) gets the
    Chinese message as its body — JSON ``{"detail": …}`` where gradio sent JSON, plain text otherwise.

    Use as ``launch(app_kwargs={"middleware": [Middleware(UploadLimitMessage, limit_mb=50)]})``.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], limit_mb: int | float) -> None:
        self.app, self.message = app, size_message(limit_mb)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None  # the 413's start, sent once the new body's length is known

        async def rewrite(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and message["status"] == 413:
                held = message
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            if message.get("more_body"):
                return  # gradio's refusal is one short sentence: its parts are dropped, the Chinese one sent
            sent = held.get("headers", [])
            headers = [(k, v) for k, v in sent if k.lower() not in (b"content-length", b"content-type")]
            as_json = any(k.lower() == b"content-type" and b"json" in v for k, v in sent)
            body = (json.dumps({"detail": self.message}, ensure_ascii=False) if as_json else self.message).encode()
            kind = b"application/json" if as_json else b"text/plain; charset=utf-8"
            headers += [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
            await send({**held, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, rewrite)


def toast_script(limit_mb: int | float) -> str:
    """A <script> for the page's head that rewrites gradio's English file-size toast (thrown in the browser
    before the upload, or HTTP 413 from the server) into the Chinese message, naming the files when it can."""
    limit = json.dumps(f"{limit_mb:g}")
    return f"""
<script>
(function () {{
  const limit = {limit};
  const say = (names) => (names || '文件') + '超过 ' + limit + ' MB 的上传上限，请压缩或拆分后再上传';
  function chinese(text) {{
    const client = /^File\\(s\\) exceed the maximum allowed size of [^:]*:\\s*(.*)$/s.exec(text);
    if (client) {{
      const names = (client[1].match(/"[^"]*"/g) || []).map((n) => '“' + n.slice(1, -1) + '”').join('、');
      return say(names);
    }}
    if (/^HTTP 413\\b/.test(text) || /File size exceeded maximum allowed size/.test(text)) return say('');
    return null;
  }}
  function fix() {{
    for (const el of document.querySelectorAll('[data-testid="toast-text"]')) {{
      const text = chinese((el.textContent || '').trim());
      if (text) el.textContent = text;
    }}
  }}
  new MutationObserver(fix).observe(document.documentElement, {{childList: true, subtree: true}});
}})();
</script>
"""
