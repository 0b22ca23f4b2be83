"""Stand-ins for Strava and intervals.icu: their documented endpoints on a local HTTP server.

Each is a real HTTP server on 127.0.0.1 (port 0) on its own thread, implementing what the
clients use, as each service documents it (see ``treadctl.upload.strava`` and
``treadctl.upload.intervals``):

- :class:`FakeStrava`: ``GET /oauth/authorize`` (approves as the person would: a 302 back to
  the ``redirect_uri`` with ``code``, ``scope`` and the ``state``), ``POST /oauth/token``
  (``authorization_code`` and ``refresh_token`` grants; a refresh token is single-use, as
  Strava may rotate it; access tokens expire by the test's clock), ``POST /api/v3/uploads``
  (multipart; Bearer token) and ``GET /api/v3/uploads/{id}`` (processing for
  ``processing_polls`` polls, then the activity or Strava's duplicate error), with
  ``X-RateLimit-*`` headers on every API answer.
- :class:`FakeIntervals`: ``POST /api/v1/athlete/{id}/activities`` with HTTP Basic
  (``API_KEY`` + key), ``0`` for the key's athlete; 201 for a new activity, 200 with the one
  it already has for the same file or external id.

Knobs for failures: ``script`` (answers to give first, in order: a status, headers and a JSON
body), ``hang`` (requests to leave unanswered until :meth:`StandIn.close`: a client time-out),
``processing_polls``. Everything a client sent is in ``requests`` (with the headers, so a test
can check where a token went). Only a stand-in for the remote services: nothing of treadctl
is replaced.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from treadctl.clock import WallClock


@dataclass
class Seen:
    """One request as the stand-in received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Scripted:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    path_prefix: str = ""  # only requests under this path take it


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes)
        if part.get_filename():
            files[name] = payload
        else:
            fields[name] = payload.decode()
    return fields, files


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _handle(self) -> None:
        stand_in = self.server.stand_in
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Seen(
            method=self.command,
            path=parts.path,
            query={k: v[0] for k, v in parse_qs(parts.query).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            seen.fields, seen.files = parse_multipart(content_type, body)
        elif content_type.startswith("application/x-www-form-urlencoded"):
            seen.fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        with stand_in.lock:
            stand_in.requests.append(seen)
            if stand_in.hang > 0:
                stand_in.hang -= 1
                hang = True
            else:
                hang = False
            scripted = None
            for i, item in enumerate(stand_in.script):
                if parts.path.startswith(item.path_prefix):
                    scripted = item
                    del stand_in.script[i]
                    break
        if hang:
            stand_in.hung.set()
            stand_in.release.wait()
            self.close_connection = True
            return  # never answered: the client's time-out is what is tested
        if scripted is not None:
            self._send(scripted.status, scripted.body, scripted.headers)
            return
        with stand_in.lock:
            status, answer, headers = stand_in.answer(seen)
        self._send(status, answer, headers)

    do_GET = _handle
    do_POST = _handle

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # joined on close: no thread outlives its test
    stand_in: StandIn


class StandIn:
    """The server and its thread; subclasses answer (under ``lock``)."""

    def __init__(self, clock: WallClock) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.requests: list[Seen] = []
        self.script: deque[Scripted] = deque()
        self.hang = 0
        self.hung = threading.Event()
        self.release = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stand_in = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self.release.set()  # a hung handler returns, so the server can join it
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def answer(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def of(self, method: str, prefix: str) -> list[Seen]:
        return [s for s in self.requests if s.method == method and s.path.startswith(prefix)]


# --------------------------------------------------------------------------------------------


@dataclass
class StravaUpload:
    upload_id: int
    external_id: str
    activity_id: int | None
    error: str | None
    polls_left: int


class FakeStrava(StandIn):
    ATHLETE: ClassVar[dict[str, Any]] = {"id": 4242, "firstname": "Ana", "lastname": "Runner"}
    TOKEN_LIFE_S = 6 * 3600

    def __init__(self, clock: WallClock, *, client_id: str = "12345", secret: str = "s3cret"):
        super().__init__(clock)
        self.apps = {client_id: secret}
        self.codes: dict[str, tuple[str, str]] = {}
        self.access: dict[str, int] = {}  # token -> expires_at
        self.refresh_tokens: dict[str, str] = {}  # token -> client id
        self.uploads: dict[int, StravaUpload] = {}
        self.activities: dict[int, dict[str, Any]] = {}
        self.by_content: dict[str, int] = {}
        self.by_external_id: dict[str, int] = {}
        self.processing_polls = 1
        self.allowed_scope = "read,activity:write"
        self._ids = itertools.count(1001)
        self._secrets = itertools.count(1)

    def issue(self, client_id: str = "12345", *, expires_in: int | None = None) -> dict[str, Any]:
        """Tokens as the token endpoint gives them (for tests that start connected)."""
        access = f"access-{next(self._secrets)}"
        refresh = f"refresh-{next(self._secrets)}"
        expires_at = int(self.clock.time()) + (
            self.TOKEN_LIFE_S if expires_in is None else expires_in
        )
        self.access[access] = expires_at
        self.refresh_tokens[refresh] = client_id
        return {
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": expires_at,
            "expires_in": expires_at - int(self.clock.time()),
            "athlete": dict(self.ATHLETE),
        }

    def _limits(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": "200,2000", "X-RateLimit-Usage": "1,1"}

    def answer(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        if seen.method == "GET" and seen.path == "/oauth/authorize":
            return self._authorize(seen)
        if seen.method == "POST" and seen.path == "/oauth/token":
            return self._token(seen)
        if seen.path.startswith("/api/v3/"):
            auth = seen.headers.get("authorization", "")
            token = auth.removeprefix("Bearer ")
            if not auth.startswith("Bearer ") or self.access.get(token, 0) <= self.clock.time():
                return (
                    401,
                    {
                        "message": "Authorization Error",
                        "errors": [
                            {"resource": "Athlete", "field": "access_token", "code": "invalid"}
                        ],
                    },
                    self._limits(),
                )
            if seen.method == "POST" and seen.path == "/api/v3/uploads":
                return self._create(seen)
            if seen.method == "GET" and seen.path.startswith("/api/v3/uploads/"):
                return self._status(seen.path.rsplit("/", 1)[1])
        return 404, {"message": "Record Not Found", "errors": []}, {}

    def _authorize(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        q = seen.query
        if q.get("client_id") not in self.apps or q.get("response_type") != "code":
            return 400, {"message": "Bad Request"}, {}
        code = f"code-{next(self._secrets)}"
        self.codes[code] = (q["client_id"], q.get("scope", ""))
        back = urlencode({"state": q.get("state", ""), "code": code, "scope": self.allowed_scope})
        return 302, None, {"Location": f"{q['redirect_uri']}?{back}"}

    def _token(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        f = seen.fields
        bad = {"message": "Bad Request", "errors": [{"resource": "Application", "code": "invalid"}]}
        if self.apps.get(f.get("client_id", "")) != f.get("client_secret"):
            return 401, bad, {}
        if f.get("grant_type") == "authorization_code":
            if self.codes.pop(f.get("code", ""), None) is None:
                return 400, bad, {}
            return 200, self.issue(f["client_id"]), {}
        if f.get("grant_type") == "refresh_token":
            if self.refresh_tokens.pop(f.get("refresh_token", ""), None) is None:
                return 400, bad, {}
            tokens = self.issue(f["client_id"])
            del tokens["athlete"]  # the refresh answer has no athlete
            return 200, tokens, {}
        return 400, bad, {}

    def _create(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        data = seen.files.get("file", b"")
        if seen.fields.get("data_type") != "fit" or not data:
            return 400, {"message": "Bad Request", "errors": [{"field": "file"}]}, self._limits()
        external_id = seen.fields.get("external_id", "")
        digest = hashlib.sha256(data).hexdigest()
        upload_id = next(self._ids)
        existing = self.by_external_id.get(external_id) or self.by_content.get(digest)
        if existing is not None:
            name = self.activities[existing]["name"]
            upload = StravaUpload(
                upload_id,
                external_id,
                None,
                f"{external_id}.fit duplicate of <a href='/activities/{existing}' "
                f"target='_blank'>{name}</a>",
                self.processing_polls,
            )
        else:
            activity_id = next(self._ids) * 1000
            self.activities[activity_id] = {
                "name": seen.fields.get("name"),
                "description": seen.fields.get("description"),
                "external_id": external_id,
                "trainer": seen.fields.get("trainer"),
            }
            self.by_content[digest] = activity_id
            self.by_external_id[external_id] = activity_id
            upload = StravaUpload(upload_id, external_id, activity_id, None, self.processing_polls)
        self.uploads[upload_id] = upload
        return 201, self._upload_json(upload, processing=True), self._limits()

    def _status(self, text: str) -> tuple[int, Any, dict[str, str]]:
        upload = self.uploads.get(int(text)) if text.isdigit() else None
        if upload is None:
            return 404, {"message": "Record Not Found", "errors": []}, self._limits()
        processing = upload.polls_left > 0
        upload.polls_left -= 1
        return 200, self._upload_json(upload, processing=processing), self._limits()

    @staticmethod
    def _upload_json(upload: StravaUpload, *, processing: bool) -> dict[str, Any]:
        if processing:
            return {
                "id": upload.upload_id,
                "id_str": str(upload.upload_id),
                "external_id": f"{upload.external_id}.fit",
                "error": None,
                "status": "Your activity is still being processed.",
                "activity_id": None,
            }
        if upload.error is not None:
            return {
                "id": upload.upload_id,
                "id_str": str(upload.upload_id),
                "external_id": f"{upload.external_id}.fit",
                "error": upload.error,
                "status": "There was an error processing your activity.",
                "activity_id": None,
            }
        return {
            "id": upload.upload_id,
            "id_str": str(upload.upload_id),
            "external_id": f"{upload.external_id}.fit",
            "error": None,
            "status": "Your activity is ready.",
            "activity_id": upload.activity_id,
        }


class FakeIntervals(StandIn):
    def __init__(self, clock: WallClock, *, api_key: str = "k3y-intervals", athlete: str = "i77"):
        super().__init__(clock)
        self.keys = {api_key: athlete}
        self.activities: dict[str, dict[str, Any]] = {}
        self.by_content: dict[str, str] = {}
        self.by_external_id: dict[str, str] = {}
        self._ids = itertools.count(501)

    def answer(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        parts = seen.path.split("/")
        if not (
            seen.method == "POST"
            and len(parts) == 6
            and parts[1:4] == ["api", "v1", "athlete"]
            and parts[5] == "activities"
        ):
            return 404, {"status": 404, "error": "Not found"}, {}
        auth = seen.headers.get("authorization", "")
        try:
            user, _, key = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            user = key = ""
        athlete = self.keys.get(key) if user == "API_KEY" else None
        if athlete is None:
            return 401, {"status": 401, "error": "Unauthorized"}, {}
        if parts[4] not in ("0", athlete):
            return 403, {"status": 403, "error": "Access denied"}, {}
        data = seen.files.get("file", b"")
        if not data:
            return 422, {"status": 422, "error": "No file"}, {}
        digest = hashlib.sha256(data).hexdigest()
        external_id = seen.query.get("external_id", "")
        existing = self.by_content.get(digest) or self.by_external_id.get(external_id)
        if existing is not None:
            return 200, self._json(athlete, existing), {}
        activity_id = f"i{next(self._ids)}"
        self.activities[activity_id] = {
            "name": seen.query.get("name"),
            "description": seen.query.get("description"),
            "external_id": external_id,
        }
        self.by_content[digest] = activity_id
        if external_id:
            self.by_external_id[external_id] = activity_id
        return 201, self._json(athlete, activity_id), {}

    @staticmethod
    def _json(athlete: str, activity_id: str) -> dict[str, Any]:
        return {
            "icu_athlete_id": athlete,
            "id": activity_id,
            "activities": [{"icu_athlete_id": athlete, "id": activity_id}],
        }
