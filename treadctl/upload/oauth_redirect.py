"""The local end of an OAuth redirect: a one-request web server on 127.0.0.1.

Shape::

    with RedirectCatcher(state) as catcher:     listening on 127.0.0.1, a free port
        catcher.redirect_uri                    http://127.0.0.1:<port>/treadctl/oauth
        …the person approves in a browser, which is sent back to redirect_uri…
        answer = catcher.wait(timeout_s)        -> Redirect(code, scope)
        catcher.refused                         answers turned away (a wrong state)
        catcher.cancel()                        from another thread: the wait ends, refused
    Cancellation()                              a Cancel button for a wait not started yet
     ├── bind(catcher)                          (``connect_strava`` binds its catcher)
     └── cancel()                               ends the bound wait, now or when it is bound

A desktop app has no web site for Strava to send the person back to, so it listens on the
loopback address for the one request the browser makes after approval: ``GET
<redirect_uri>?state=…&code=…&scope=…``. It checks ``state`` — the random value this app put
in the authorization URL — in constant time, so a page elsewhere cannot make the browser hand
this app somebody else's code (a login CSRF); an answer with another state is refused with a
400 page, noted in ``refused`` and the wait goes on. ``error=access_denied`` (the person said
no) ends the wait with an :class:`~treadctl.upload.errors.AuthorizationError`.

Only 127.0.0.1 is bound, never all interfaces: nothing on the network can reach it. Nothing
is logged (``BaseHTTPRequestHandler`` would print each request line, code included, on
stderr). The server runs on its own thread and is shut down and closed on leaving the
``with`` block.
"""

from __future__ import annotations

import hmac
import html
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

from treadctl.upload.errors import AuthorizationError

__all__ = ["CANCELLED", "REDIRECT_PATH", "Cancellation", "Redirect", "RedirectCatcher"]

REDIRECT_PATH = "/treadctl/oauth"
_HOST = "127.0.0.1"
#: A browser may open a connection and send nothing (a speculative pre-connect): such a
#: connection is dropped after this long so it cannot hold the server.
_IDLE_S = 10.0
#: What a cancelled wait says.
CANCELLED = "connecting was cancelled; nothing was connected"


@dataclass(frozen=True, slots=True)
class Redirect:
    """What the service sent back: the authorization ``code`` and the ``scope`` allowed."""

    code: str
    scope: str | None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    catcher: RedirectCatcher


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = _IDLE_S

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line holds the authorization code."""

    def do_GET(self) -> None:
        status, title, text = self.server.catcher._receive(self.path)
        page = (
            "<!doctype html><meta charset=utf-8><title>treadctl</title>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(page)


class RedirectCatcher:
    """See the module docstring. ``port=0`` takes any free port."""

    def __init__(self, state: str, *, port: int = 0, path: str = REDIRECT_PATH) -> None:
        if not state:
            raise ValueError("an OAuth state must not be empty")
        self._state = state
        self._path = path
        self._port = port
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._result: Redirect | AuthorizationError | None = None
        self.refused: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        try:
            server = _Server((_HOST, self._port), _Handler)
        except OSError as error:
            raise AuthorizationError(
                f"cannot listen on {_HOST}:{self._port} for the browser's answer: "
                f"{error.strerror or error}; choose another port with --port"
            ) from None
        server.catcher = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="oauth-redirect"
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    @property
    def redirect_uri(self) -> str:
        if self._server is None:
            raise RuntimeError("the redirect server is not running: use it in a with block")
        return f"http://{_HOST}:{self._server.server_address[1]}{self._path}"

    def wait(self, timeout_s: float) -> Redirect:
        """The redirect's code and scope, once the right answer came; AuthorizationError if
        the person said no or nothing came within ``timeout_s``."""
        if not self._done.wait(timeout_s):
            raise AuthorizationError(
                f"no answer from the browser within {timeout_s:g} s; nothing was connected. "
                "Open the address again, or run the command again"
            )
        result = self._result
        if isinstance(result, AuthorizationError):
            raise result
        assert result is not None  # the event is set only with a result
        return result

    def cancel(self) -> None:
        """End the wait from another thread (the app's Cancel button, the app closing): it
        raises :class:`AuthorizationError` (:data:`CANCELLED`). An answer already received
        stands. Without this, the thread waiting would be held for the whole ``timeout_s``."""
        with self._lock:
            if self._result is None:
                self._result = AuthorizationError(CANCELLED)
                self._done.set()

    def _receive(self, target: str) -> tuple[int, str, str]:
        """One browser request: the status and page to answer with."""
        parts = urlsplit(target)
        if parts.path != self._path:
            return 404, "Not here", "This address is not the one treadctl is waiting on."
        query = parse_qs(parts.query)
        state = query.get("state", [""])[0]
        # Constant time: the state is the one secret this exchange has.
        if not hmac.compare_digest(state.encode(), self._state.encode()):
            with self._lock:
                self.refused.append("an answer whose state does not match this request")
            return (
                400,
                "Refused",
                "This answer does not belong to the connection treadctl started (its state "
                "does not match), so it was ignored.",
            )
        with self._lock:
            if self._result is not None:
                return 200, "Already done", "treadctl already has its answer; close this tab."
            error = query.get("error", [""])[0]
            code = query.get("code", [""])[0]
            if error or not code:
                why = "you did not allow it" if error == "access_denied" else (error or "no code")
                self._result = AuthorizationError(f"the service did not connect: {why}")
                self._done.set()
                return 200, "Not connected", "Nothing was connected. You can close this tab."
            scope = query.get("scope", [None])[0]
            self._result = Redirect(code=code, scope=scope)
            self._done.set()
        return 200, "Connected", "treadctl has what it needs. You can close this tab."


class Cancellation:
    """Cancels a :class:`RedirectCatcher` wait that runs, or is about to run, on another
    thread: the app makes one, hands it to ``connect_strava`` (which :meth:`bind` s its
    catcher) and calls :meth:`cancel` from the UI thread. A cancel that comes before the
    catcher exists still counts: the wait ends as soon as it is bound."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._catcher: RedirectCatcher | None = None

    @property
    def cancelled(self) -> bool:
        with self._lock:
            return self._cancelled

    def bind(self, catcher: RedirectCatcher) -> None:
        with self._lock:
            self._catcher = catcher
            cancelled = self._cancelled
        if cancelled:
            catcher.cancel()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            catcher = self._catcher
        if catcher is not None:
            catcher.cancel()
