"""The services a session can be uploaded to, and where they are.

Shape::

    Service            STRAVA | INTERVALS (a StrEnum: the value is what the store and the
                       command line say, ``label`` what a person reads)
    ServiceConfig      the base address of each service and the HTTP time-out;
                       ``from_environment()`` reads ``TREADCTL_STRAVA_URL``,
                       ``TREADCTL_INTERVALS_URL`` (tests and proxies point them elsewhere)
                       and ``TREADCTL_HTTP_TIMEOUT`` (seconds; a slow link wants more)

Why the addresses are configurable at all: the tests run each service's documented endpoints
on a local HTTP server, and the same code must talk to it as to the real service. Why a
non-loopback address must be ``https``: a client secret, a refresh token and an API key go to
it, and must never cross a network in the clear.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "INTERVALS_URL",
    "STRAVA_URL",
    "Service",
    "ServiceConfig",
]

STRAVA_URL = "https://www.strava.com"
INTERVALS_URL = "https://intervals.icu"
#: Seconds one request may take to connect, or to send or receive anything, before it counts as
#: no answer (and the upload is queued for a later try).
DEFAULT_TIMEOUT_S = 30.0

_ENV_STRAVA = "TREADCTL_STRAVA_URL"
_ENV_INTERVALS = "TREADCTL_INTERVALS_URL"
_ENV_TIMEOUT = "TREADCTL_HTTP_TIMEOUT"


class Service(StrEnum):
    STRAVA = "strava"
    INTERVALS = "intervals"

    @property
    def label(self) -> str:
        """The service's own name, as people write it."""
        return _TITLES[self]


_TITLES = {Service.STRAVA: "Strava", Service.INTERVALS: "intervals.icu"}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_base(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{name} address {url!r} is not an http(s) address")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"{name} address {url!r} is plain http to another computer: secrets would cross "
            "the network unencrypted; use https"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"{name} address {url!r} must not have a query or a fragment")
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Where each service is: ``strava_url`` serves ``/oauth/…`` and ``/api/v3/…``,
    ``intervals_url`` serves ``/api/v1/…``. Raises ``ValueError`` for an unusable address."""

    strava_url: str = STRAVA_URL
    intervals_url: str = INTERVALS_URL
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        object.__setattr__(self, "strava_url", _checked_base("Strava", self.strava_url))
        object.__setattr__(
            self, "intervals_url", _checked_base("intervals.icu", self.intervals_url)
        )
        if not (math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise ValueError(f"time-out must be a positive number of seconds: {self.timeout_s}")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ServiceConfig:
        env = os.environ if environ is None else environ
        timeout = env.get(_ENV_TIMEOUT) or ""
        try:
            timeout_s = float(timeout) if timeout else DEFAULT_TIMEOUT_S
        except ValueError:
            raise ValueError(f"{_ENV_TIMEOUT}={timeout!r} is not a number of seconds") from None
        return cls(
            strava_url=env.get(_ENV_STRAVA) or STRAVA_URL,
            intervals_url=env.get(_ENV_INTERVALS) or INTERVALS_URL,
            timeout_s=timeout_s,
        )

    # Strava
    @property
    def strava_authorize(self) -> str:
        return f"{self.strava_url}/oauth/authorize"

    @property
    def strava_token(self) -> str:
        return f"{self.strava_url}/oauth/token"

    @property
    def strava_api(self) -> str:
        return f"{self.strava_url}/api/v3"

    def strava_activity_url(self, activity_id: str) -> str:
        return f"{self.strava_url}/activities/{activity_id}"

    # intervals.icu
    @property
    def intervals_api(self) -> str:
        return f"{self.intervals_url}/api/v1"

    def intervals_activity_url(self, activity_id: str) -> str:
        return f"{self.intervals_url}/activities/{activity_id}"
