"""The server root, told to the browser before Streamlit's client starts.

Streamlit's client does not know whether a URL's last path segment is a page of the app
(`/training`) or the folder the server is mounted under, so on a page's first load or reload
it tries both for its first requests: `/training/_stcore/health` and
`/training/_stcore/host-config` (404s, logged in the console), then `/_stcore/…`. The
client skips the guess when the page defines `window.__streamlit.BACKEND_BASE_URL`: this
ASGI middleware writes that into every HTML page the server sends, computed in the browser
from the address with a trailing page name removed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SCRIPT = (
    "<script>(function(){{var pages={pages};"
    "var path=location.pathname.replace(/\\/+$/,'');var last=path.split('/').pop();"
    "if(pages.indexOf(last)>=0){{path=path.slice(0,path.length-last.length)}}"
    "window.__streamlit=Object.assign({{}},window.__streamlit,"
    "{{BACKEND_BASE_URL:location.origin+path}});}})();</script>"
)
_PASS = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/")


def base_url_script(pages: Sequence[str]) -> bytes:
    """The inline script that sets the client's server root for these page url paths."""
    return _SCRIPT.format(pages=json.dumps(list(pages))).encode()


class ServerRootScript:
    """Pure ASGI middleware: HTML responses get `base_url_script` first thing in <head>."""

    def __init__(self, app: ASGIApp, pages: Sequence[str]) -> None:
        self.app = app
        self.script = base_url_script(pages)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(p in scope["path"] for p in _PASS):
            await self.app(scope, receive, send)
            return
        # The page uncompressed, so the script can be written into it.
        scope = {
            **scope,
            "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"],
        }
        start: Message | None = None
        passing = False
        body: list[bytes] = []

        async def inject(message: Message) -> None:
            nonlocal start, passing
            if message["type"] == "http.response.start":
                kind = dict((k.lower(), v) for k, v in message["headers"]).get(b"content-type")
                passing = not (kind or b"").startswith(b"text/html")
                if passing:
                    await send(message)
                else:
                    start = message
                return
            if passing or start is None:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            html = b"".join(body).replace(b"<head>", b"<head>" + self.script, 1)
            kept = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            kept.append((b"content-length", str(len(html)).encode()))
            await send({**start, "headers": kept})
            await send({"type": "http.response.body", "body": html})

        await self.app(scope, receive, inject)
