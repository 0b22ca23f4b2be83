"""Strava: OAuth 2 (authorization code, refresh) and activity uploads, on the standard library.

Shape::

    authorization_url(config, client_id, redirect_uri, state) -> str   the page the person
                                        approves on; scope ``activity:write`` (uploads only)
    StravaTokens(access_token, refresh_token, expires_at, athlete_id, athlete_name, scope)
     └── needs_refresh(now)             less than REFRESH_MARGIN_S of life left
    StravaClient(config, http, clock)
     ├── exchange_code(client_id, client_secret, code) -> StravaTokens   grant authorization_code
     ├── refresh(client_id, client_secret, tokens)     -> StravaTokens   grant refresh_token
     ├── create_upload(token, data, external_id=, name=, description=) -> UploadStatus
     │                                  POST /api/v3/uploads, multipart, data_type fit
     ├── upload_status(token, upload_id) -> UploadStatus      GET /api/v3/uploads/{id}
     └── wait(token, status) -> UploadStatus   polls every POLL_INTERVAL_S until Strava says
                                        activity or error, at most POLL_LIMIT times
    UploadStatus(upload_id, activity_id, error, status)
     ├── processing / failed
     └── duplicate, duplicate_of        Strava's "… duplicate of <a href='/activities/N'>…"
    rate_limit_reset(headers, now)      when a 429's 15-minute or daily window opens again

What Strava documents and this follows (developers.strava.com, Authentication, Uploads, Rate
Limits): the authorization page takes ``client_id``, ``redirect_uri``, ``response_type=code``,
``approval_prompt`` and a comma-separated ``scope``, and redirects back with ``code``, ``scope``
(what the person actually allowed) and our ``state``; ``POST /oauth/token`` takes the client id
and secret with ``grant_type=authorization_code`` and the code, or ``grant_type=refresh_token``
and the refresh token, and answers ``access_token``, ``refresh_token`` (which may change: the
new one is kept) and ``expires_at`` (epoch seconds; access tokens live six hours). An upload is
asynchronous: ``POST /uploads`` answers 201 with an upload id, then ``GET /uploads/{id}`` says
"still being processed" until it has an ``activity_id`` or an ``error``; a one-second or longer
polling interval is recommended. A duplicate is such an error, naming the activity it
duplicates. Requests over the limits get 429, and ``X-RateLimit-Limit``/``X-RateLimit-Usage``
("15-minute, daily") on every answer; the 15-minute window resets at 0, 15, 30 and 45 minutes
past the hour, the daily one at midnight UTC.

Why not stravalib (2.x, read for this module): it would bring ``requests``, ``pydantic``,
``pint`` and ``arrow`` for five requests, and it does things this app must not do —
``ApiV3._request`` logs every request's parameters at INFO level, which for the token requests
are the client secret and the code or refresh token; it sends the access token as a query
parameter (it ends up in URLs) instead of the ``Authorization`` header; its requests have no
time-out unless the caller builds a ``requests.Session`` that adds one, and an upload that
hangs must become a queued retry, not a frozen worker; ``ActivityUploader.wait`` and its rate
limiter call ``time.time``/``time.sleep`` themselves, so neither a test nor the queue can
drive its clock; and its addresses are ``https://`` + a host, so the tests' local plain-HTTP
stand-in for Strava could not be reached without patching it. Its shape is kept where it is
right: an upload is a status to poll, done when it has an activity id, failed when it has an
error (``ActivityUploader.is_processing``/``is_error``/``is_complete``).

Why ``trainer=1`` and no ``sport_type``: the FIT file already says sport running, sub-sport
treadmill (``treadctl.export.fit``); ``trainer`` is the documented upload field for an activity
done on a trainer (no GPS), and the activity type field stravalib sends is undocumented.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from treadctl.clock import WallClock
from treadctl.upload.errors import ServiceError
from treadctl.upload.http import Http, Response, error_for, form_body, multipart_form
from treadctl.upload.services import Service, ServiceConfig

__all__ = [
    "POLL_INTERVAL_S",
    "POLL_LIMIT",
    "REFRESH_MARGIN_S",
    "SCOPE",
    "StravaClient",
    "StravaTokens",
    "UploadStatus",
    "authorization_url",
    "duplicate_activity_id",
    "rate_limit_reset",
]

SCOPE = "activity:write"
#: Refresh an access token with less than this left: enough for one upload and its polls.
REFRESH_MARGIN_S = 600
#: Strava recommends polling an upload no more than once a second.
POLL_INTERVAL_S = 1.0
#: Polls before an upload still processing is left to the queue (its id is kept: the next
#: try asks about it again instead of sending the file again).
POLL_LIMIT = 30

_RECONNECT = "connect Strava again: `treadctl accounts connect strava`"
_DUPLICATE = re.compile(r"duplicate of\b", re.IGNORECASE)
_DUPLICATE_ID = re.compile(
    r"duplicate of\b.*?(?:/activities/(\d+)|activity\s+(\d+))", re.IGNORECASE | re.DOTALL
)
_DELETED = "The created activity has been deleted."


def authorization_url(
    config: ServiceConfig,
    client_id: str,
    redirect_uri: str,
    state: str,
    *,
    approval_prompt: str = "auto",
) -> str:
    """The Strava page where the person allows this app to upload their activities."""
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "approval_prompt": approval_prompt,
            "scope": SCOPE,
            "state": state,
        }
    )
    return f"{config.strava_authorize}?{query}"


@dataclass(frozen=True, slots=True)
class StravaTokens:
    """What the token endpoint gave. The secrets are left out of ``repr`` (a traceback or a
    log line must not carry them)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: int
    athlete_id: str | None = None
    athlete_name: str | None = None
    scope: str | None = None

    def needs_refresh(self, now: float) -> bool:
        return self.expires_at - now < REFRESH_MARGIN_S


@dataclass(frozen=True, slots=True)
class UploadStatus:
    """One answer about an upload (Strava's Upload object)."""

    upload_id: str
    activity_id: str | None
    error: str | None
    status: str | None

    @classmethod
    def from_json(cls, data: Any) -> UploadStatus:
        """Strava's Upload JSON; ``ValueError`` for anything without an upload id."""
        if not isinstance(data, dict):
            raise ValueError("the answer is not a JSON object")
        upload_id = data.get("id_str") or data.get("id")
        if not isinstance(upload_id, str | int) or isinstance(upload_id, bool) or not upload_id:
            raise ValueError("the answer has no upload id")
        activity = data.get("activity_id")
        error = data.get("error")
        status = data.get("status")
        return cls(
            upload_id=str(upload_id),
            activity_id=(
                str(activity)
                if isinstance(activity, int | str) and not isinstance(activity, bool) and activity
                else None
            ),
            error=error if isinstance(error, str) and error else None,
            status=status if isinstance(status, str) else None,
        )

    @property
    def failed(self) -> bool:
        return self.error is not None or self.status == _DELETED

    @property
    def processing(self) -> bool:
        return self.activity_id is None and not self.failed

    @property
    def duplicate(self) -> bool:
        return self.error is not None and _DUPLICATE.search(self.error) is not None

    @property
    def duplicate_of(self) -> str | None:
        return None if self.error is None else duplicate_activity_id(self.error)


def duplicate_activity_id(message: str) -> str | None:
    """The activity id in Strava's duplicate error (``"x.fit duplicate of <a
    href='/activities/123' …>…</a>"``, or ``"… duplicate of activity 123"``), if it has one."""
    found = _DUPLICATE_ID.search(message)
    if found is None:
        return None
    return found[1] or found[2]


def rate_limit_reset(headers: dict[str, str] | Any, now: float) -> float:
    """When Strava's rate limit lets requests through again: midnight UTC if a daily limit is
    used up, else the next quarter hour (0, 15, 30, 45 minutes past)."""
    moment = datetime.fromtimestamp(now, UTC)
    for prefix in ("x-ratelimit", "x-readratelimit"):
        limits = _pair(headers.get(f"{prefix}-limit"))
        usage = _pair(headers.get(f"{prefix}-usage"))
        if limits and usage and usage[1] >= limits[1]:
            midnight = (moment + timedelta(days=1)).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            return midnight.timestamp()
    quarter = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    return (quarter + timedelta(minutes=15)).timestamp()


def _pair(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    parts = [p.strip() for p in value.split(",")]
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return None
    return int(parts[0]), int(parts[1])


class StravaClient:
    """Talks to Strava at ``config.strava_url`` (see the module docstring)."""

    def __init__(self, config: ServiceConfig, http: Http, clock: WallClock) -> None:
        self.config = config
        self.http = http
        self.clock = clock

    # --- OAuth ---------------------------------------------------------------------------

    def exchange_code(self, client_id: str, client_secret: str, code: str) -> StravaTokens:
        """The tokens for an authorization code the redirect brought back."""
        return self._token(
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "code": code,
                "grant_type": "authorization_code",
            },
            what="refused the authorization code",
            previous=None,
        )

    def refresh(self, client_id: str, client_secret: str, tokens: StravaTokens) -> StravaTokens:
        """New tokens for ``tokens`` (Strava may change the refresh token too: keep these)."""
        return self._token(
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "refresh_token": tokens.refresh_token,
                "grant_type": "refresh_token",
            },
            what="refused to refresh the access token",
            previous=tokens,
        )

    def _token(
        self, fields: dict[str, str], *, what: str, previous: StravaTokens | None
    ) -> StravaTokens:
        content_type, body = form_body(fields)
        response = self.http.request(
            Service.STRAVA,
            "POST",
            self.config.strava_token,
            headers={"Content-Type": content_type},
            body=body,
        )
        if not response.ok:
            error = error_for(
                Service.STRAVA, response, what=what, now=self.clock.time(), advice=_RECONNECT
            )
            if error.failure == "refused":
                # A refresh token or a code Strava no longer takes (400): only the person can
                # fix it, by connecting again.
                error.failure = "auth"
            raise error
        data = self._json(response, what=what)
        access, refresh, expires = (
            data.get("access_token"),
            data.get("refresh_token"),
            data.get("expires_at"),
        )
        if (
            not isinstance(access, str)
            or not access
            or not isinstance(refresh, str)
            or not refresh
            or isinstance(expires, bool)
            or not isinstance(expires, int | float)
            or not math.isfinite(expires)
        ):
            raise ServiceError(
                Service.STRAVA,
                response.status,
                "the answer lacks access_token, refresh_token or expires_at",
                what=what,
                failure="retry",
            )
        athlete = data.get("athlete")
        athlete_id = athlete_name = None
        if isinstance(athlete, dict):
            if isinstance(athlete.get("id"), int | str) and not isinstance(athlete["id"], bool):
                athlete_id = str(athlete["id"])
            names = [athlete.get(k) for k in ("firstname", "lastname")]
            athlete_name = " ".join(n for n in names if isinstance(n, str) and n) or None
        tokens = StravaTokens(
            access_token=access,
            refresh_token=refresh,
            expires_at=int(expires),
            athlete_id=athlete_id,
            athlete_name=athlete_name,
            scope=None,
        )
        if previous is not None:
            # The refresh answer has no athlete: keep who it was.
            tokens = replace(
                tokens,
                athlete_id=tokens.athlete_id or previous.athlete_id,
                athlete_name=tokens.athlete_name or previous.athlete_name,
                scope=previous.scope,
            )
        return tokens

    # --- uploads -------------------------------------------------------------------------

    def create_upload(
        self,
        access_token: str,
        data: bytes,
        *,
        external_id: str,
        name: str,
        description: str,
        filename: str,
    ) -> UploadStatus:
        """Send a FIT file; Strava answers with an upload to poll (:meth:`wait`)."""
        content_type, body = multipart_form(
            {
                "data_type": "fit",
                "external_id": external_id,
                "name": name,
                "description": description,
                "trainer": "1",
            },
            {"file": (filename, "application/octet-stream", data)},
        )
        response = self.http.request(
            Service.STRAVA,
            "POST",
            f"{self.config.strava_api}/uploads",
            headers=self._auth(access_token) | {"Content-Type": content_type},
            body=body,
        )
        if not response.ok:
            # A duplicate found at once comes back as an error with the Upload object too.
            status = self._status_or_none(response)
            if status is not None and status.duplicate:
                return status
            raise self._error(response, "refused the upload")
        return self._upload_status(response, "refused the upload")

    def upload_status(self, access_token: str, upload_id: str) -> UploadStatus:
        response = self.http.request(
            Service.STRAVA,
            "GET",
            f"{self.config.strava_api}/uploads/{upload_id}",
            headers=self._auth(access_token),
        )
        if not response.ok:
            status = self._status_or_none(response)
            if status is not None and status.failed:
                return status
            raise self._error(response, "did not say how the upload went")
        return self._upload_status(response, "did not say how the upload went")

    def wait(self, access_token: str, status: UploadStatus) -> UploadStatus:
        """Poll ``status`` until it has an activity or an error, at most :data:`POLL_LIMIT`
        times; returns the last answer (still processing if Strava took longer)."""
        polls = 0
        while status.processing and polls < POLL_LIMIT:
            self.clock.sleep(POLL_INTERVAL_S)
            status = self.upload_status(access_token, status.upload_id)
            polls += 1
        return status

    # --- plumbing --------------------------------------------------------------------------

    @staticmethod
    def _auth(access_token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {access_token}"}

    def _error(self, response: Response, what: str) -> ServiceError:
        now = self.clock.time()
        advice = _RECONNECT if response.status in (401, 403) else ""
        error = error_for(Service.STRAVA, response, what=what, now=now, advice=advice)
        if response.status == 429:
            error.retry_at = max(error.retry_at or 0.0, rate_limit_reset(response.headers, now))
        return error

    def _json(self, response: Response, *, what: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ServiceError(
                Service.STRAVA,
                response.status,
                "the answer is not the JSON object Strava documents",
                what=what,
                failure="retry",
            )
        return data

    def _upload_status(self, response: Response, what: str) -> UploadStatus:
        try:
            return UploadStatus.from_json(self._json(response, what=what))
        except ValueError as error:
            raise ServiceError(
                Service.STRAVA, response.status, str(error), what=what, failure="retry"
            ) from None

    @staticmethod
    def _status_or_none(response: Response) -> UploadStatus | None:
        try:
            return UploadStatus.from_json(response.json())
        except ValueError:
            return None
