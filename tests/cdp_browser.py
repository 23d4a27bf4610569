"""Debian's chromium driven over the Chrome DevTools Protocol, for what Playwright cannot do.

Playwright turns on focus emulation for every page it drives, and Chromium then treats the
page as on screen: it is never hidden and its timers are never throttled. Here nothing is
emulated, so a tab opened in front of another hides it for real (`document.hidden`, timers
slowed to about one a second), as when a listener switches tabs.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = "/usr/bin/chromium"
# The flags every test browser starts with (Playwright's too, in test_browser.py).
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Here also what Playwright's page settings do for its browsers: sound without a click, the
# window's size.
CDP_ARGS = [*ARGS, "--autoplay-policy=no-user-gesture-required", "--window-size=1400,1000"]


class Chromium:
    """One chromium process (stopped by its process id) and one DevTools connection."""

    def __init__(self, profile: Path) -> None:
        self._stack = contextlib.ExitStack()
        port_file = profile / "DevToolsActivePort"
        cmd = [CHROMIUM, *CDP_ARGS, "--remote-debugging-port=0", f"--user-data-dir={profile}"]
        self.process = subprocess.Popen(
            [*cmd, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.time() + 60
            while not (port_file.is_file() and len(port_file.read_text().split()) >= 2):
                if time.time() > deadline or self.process.poll() is not None:
                    raise RuntimeError("chromium did not open its DevTools port")
                time.sleep(0.1)
            port, path = port_file.read_text().split()[:2]
            self.ws: ClientConnection = self._stack.enter_context(
                connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=30)
            )
        except BaseException:
            self.close()
            raise
        self._ids = itertools.count(1)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        """One command; the events that arrive meanwhile are dropped (none are enabled)."""
        message: dict[str, Any] = {"id": next(self._ids), "method": method}
        message["params"] = params or {}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=120))
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def new_context(self) -> str:
        """A separate profile in the same browser (its own cookies: its own app session)."""
        return str(self.send("Target.createBrowserContext")["browserContextId"])

    def new_page(self, url: str, context: str = "") -> Page:
        """A tab in front of the others in its window (which hides them); in `context`, a
        new window of that context."""
        params: dict[str, Any] = {"url": url, "newWindow": bool(context), "background": False}
        if context:
            params["browserContextId"] = context
        target = self.send("Target.createTarget", params)["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        return Page(self, target, session["sessionId"])

    def close(self) -> None:
        self._stack.close()
        if self.process.poll() is None:
            self.process.terminate()  # by its process id
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Page:
    def __init__(self, browser: Chromium, target: str, session: str) -> None:
        self.browser, self.target, self.session = browser, target, session

    def eval(self, expression: str, gesture: bool = False) -> Any:
        """The expression's value (JSON), evaluated in the page; `gesture` as a user's click."""
        result = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "userGesture": gesture},
            self.session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text", "exception"))
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float, poll: float = 0.5) -> Any:
        """Polls until the expression is truthy; returns its value (or raises TimeoutError)."""
        deadline = time.time() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.time() > deadline:
                raise TimeoutError(f"waited {timeout:g} s for {expression[:80]}")
            time.sleep(poll)

    def bring_to_front(self) -> None:
        self.browser.send("Target.activateTarget", {"targetId": self.target})

    def screenshot(self, path: Path) -> None:
        import base64

        shot = self.browser.send("Page.captureScreenshot", {"format": "png"}, self.session)
        path.write_bytes(base64.b64decode(shot["data"]))
