"""The little HTTP the upload clients need: one request, a time-out on it, and its answer.

Shape::

    Http(timeout_s).request(service, method, url, headers=, body=) -> Response
                                   no answer (refused, no network, time-out, a dropped
                                   connection) → ServiceUnreachable
    Response(status, reason, headers, body)  .json() (ValueError if it is not JSON)
    multipart_form(fields, files) -> (content_type, body)   multipart/form-data (RFC 7578)
    form_body(fields) -> (content_type, body)                application/x-www-form-urlencoded
    error_for(service, response, what=, now=, advice=) -> ServiceError
                                   an error answer as a sentence with the service's message,
                                   and what the queue does about it (retry, auth, refused)
    service_message(response) -> str   the service's own words, made safe to show

Why ``http.client`` and not a library: two services, five requests, no cookies, no
redirects; the standard library does it in a page, and its time-out is explicit on every
request (``requests`` waits forever unless told, see ``treadctl.upload.strava``).

Redirects are not followed: the API endpoints used here never redirect, and following one
would send the ``Authorization`` header wherever it pointed. Nothing here logs a header, a
body or a query string: tokens and keys travel in them.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import re
import secrets
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from treadctl.upload.errors import Failure, ServiceError, ServiceUnreachable
from treadctl.upload.services import DEFAULT_TIMEOUT_S, Service

__all__ = [
    "MAX_RESPONSE_BYTES",
    "USER_AGENT",
    "Http",
    "Response",
    "error_for",
    "failure_of",
    "form_body",
    "multipart_form",
    "retry_after",
    "service_message",
]

logger = logging.getLogger(__name__)

USER_AGENT = "treadctl (+https://github.com/treadctl)"
#: The most of an answer that is read: the services answer in a few hundred bytes, and a
#: misbehaving server must not fill the memory.
MAX_RESPONSE_BYTES = 1 << 20
_MESSAGE_CHARS = 300


@dataclass(frozen=True, slots=True)
class Response:
    """An HTTP answer. ``headers`` has lower-case names."""

    status: int
    reason: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` if it is not."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, RecursionError) as error:
            raise ValueError(f"not JSON: {error}") from None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Http:
    """Sends one request at a time; every request has ``timeout_s`` (connecting, sending and
    each wait for the answer)."""

    def __init__(self, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._tls = ssl.create_default_context()

    def request(
        self,
        service: Service,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) address: {parts.scheme}://{parts.netloc}")
        path = parts.path or "/"
        if parts.query:
            path += f"?{parts.query}"
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=self.timeout_s, context=self._tls
            )
        else:
            connection = http.client.HTTPConnection(
                parts.hostname, parts.port, timeout=self.timeout_s
            )
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        # Only the path: a query string may hold names, and headers hold tokens.
        where = f"{parts.scheme}://{parts.netloc}{parts.path}"
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            data = answer.read(MAX_RESPONSE_BYTES)
            result = Response(
                status=answer.status,
                reason=answer.reason,
                headers={k.lower(): v for k, v in answer.getheaders()},
                body=data,
            )
        except TimeoutError:
            raise ServiceUnreachable(
                service, f"no answer from {parts.netloc} within {self.timeout_s:g} s"
            ) from None
        except (OSError, http.client.HTTPException) as error:
            why = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise ServiceUnreachable(service, f"{parts.netloc}: {why}") from None
        finally:
            connection.close()
        logger.debug("%s %s -> %d", method, where, result.status)
        return result


def _field_name(text: str) -> str:
    """A name or file name for a Content-Disposition header: no quote, no line break (the
    values here are ours, but one must not be able to end the header early)."""
    return re.sub(r'["\r\n\\]', "_", text)


def multipart_form(
    fields: Mapping[str, str], files: Mapping[str, tuple[str, str, bytes]]
) -> tuple[str, bytes]:
    """``multipart/form-data``: text ``fields``, and ``files`` as ``name: (file name, content
    type, bytes)``. Returns the Content-Type header (with its boundary) and the body."""
    boundary = f"treadctl-{secrets.token_hex(16)}"
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_field_name(name)}"\r\n'
            f"\r\n{value}\r\n".encode()
        )
    for name, (filename, content_type, data) in files.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_field_name(name)}"; '
            f'filename="{_field_name(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        )
        chunks.append(data)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


def form_body(fields: Mapping[str, str]) -> tuple[str, bytes]:
    """``application/x-www-form-urlencoded``: the Content-Type header and the body."""
    return "application/x-www-form-urlencoded", urlencode(fields).encode("ascii")


def _clean(text: str) -> str:
    """A service's words, safe for one line: tags out (Strava's errors hold links), control
    characters out, runs of space as one, cut to a sentence's length."""
    text = re.sub(r"<[^>]*>", "", text)
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text)
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 1] + "…"


def service_message(response: Response) -> str:
    """What the service said about an error, in its own words: JSON ``message``/``error``
    (with Strava's ``errors`` list), else the start of the body, else the reason phrase."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        parts = [str(data[key]) for key in ("message", "error") if data.get(key)]
        details = data.get("errors")
        if isinstance(details, list):
            for item in details[:3]:
                if isinstance(item, dict):
                    parts.append(
                        " ".join(str(item[k]) for k in ("resource", "field", "code") if k in item)
                    )
        if parts:
            return _clean("; ".join(parts))
    text = _clean(response.body[:2000].decode("utf-8", "replace"))
    return text or response.reason or "no message"


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """When a ``Retry-After`` header (seconds, or an HTTP date) says to try again."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() if when.tzinfo is not None else None


def failure_of(status: int) -> Failure:
    """What the queue does after an answer with ``status``: a server error, a time-out on the
    server's side or a rate limit is tried again later; 401/403 waits for the account to be
    connected again; any other client error is the file or the request turned down."""
    if status in (408, 425, 429) or status >= 500:
        return "retry"
    if status in (401, 403):
        return "auth"
    return "refused"


def error_for(
    service: Service,
    response: Response,
    *,
    what: str = "refused the upload",
    now: float,
    advice: str = "",
) -> ServiceError:
    """The :class:`ServiceError` for an error answer (see :func:`failure_of`)."""
    return ServiceError(
        service,
        response.status,
        service_message(response),
        what=what,
        failure=failure_of(response.status),
        retry_at=retry_after(response.headers, now),
        advice=advice,
    )
