"""The upload errors: what the service said, what could not reach it, what we lack.

As h11 splits its errors by side, these say whose side the trouble is on::

    UploadError (TreadctlError)
     ├── ServiceError        the service answered, and said no: service, HTTP status, its own
     │                       message, and ``failure`` — what the queue does about it:
     │                         "retry"    a server error, a rate limit (``retry_at``), a busy
     │                                    service: try again later
     │                         "auth"     the account is not (or no longer) usable: connect it
     │                                    again, then the queue tries again
     │                         "refused"  the file itself was turned down: retrying the same
     │                                    bytes would get the same answer
     ├── ServiceUnreachable  no answer: refused connection, no network, a time-out ("retry")
     ├── NotConnected        no account for this service on this profile ("auth")
     ├── NothingToUpload     the session cannot be uploaded: not in the history, its log
     │                       unreadable, a Guest session nobody saved ("refused")
     ├── AuthorizationError  connecting an account did not work (a wrong ``state``, the person
     │                       said no, no answer in time, uploads not allowed)
     └── AccountsError       the accounts file cannot be read or written (names the file)

Every message is a sentence for a person. None ever holds a token, a secret or a key: a
service's message is what the service wrote back, never what we sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from treadctl.errors import TreadctlError
from treadctl.upload.services import Service

__all__ = [
    "AccountsError",
    "AuthorizationError",
    "Failure",
    "NotConnected",
    "NothingToUpload",
    "ServiceError",
    "ServiceUnreachable",
    "UploadError",
]

Failure = Literal["retry", "auth", "refused"]


class UploadError(TreadctlError):
    """Base of the upload errors. ``failure`` is what the queue does about it."""

    failure: Failure = "retry"


class ServiceError(UploadError):
    """The service answered with an error: ``service``, ``status`` (HTTP), ``message`` (the
    service's own words), ``failure`` and, for a rate limit, ``retry_at`` (epoch seconds)."""

    def __init__(
        self,
        service: Service,
        status: int,
        message: str,
        *,
        what: str = "refused the upload",
        failure: Failure,
        retry_at: float | None = None,
        advice: str = "",
    ) -> None:
        text = f"{service.label} {what} (HTTP {status}): {message}"
        super().__init__(f"{text}; {advice}" if advice else text)
        self.service = service
        self.status = status
        self.message = message
        self.failure = failure
        self.retry_at = retry_at


class ServiceUnreachable(UploadError):
    """No answer from ``service``: ``why`` says what happened (a time-out, no network…)."""

    def __init__(self, service: Service, why: str) -> None:
        super().__init__(f"{service.label} could not be reached: {why}")
        self.service = service
        self.why = why


class NotConnected(UploadError):
    """The profile has no account for ``service``."""

    failure: Failure = "auth"

    def __init__(self, service: Service, profile: str | None) -> None:
        if profile is None:
            text = (
                f"the session was recorded under no profile, so there is no {service.label} "
                "account to upload it with"
            )
        else:
            text = (
                f"{profile} has no {service.label} account connected; connect one with "
                f"`treadctl accounts connect {service.value} --profile {profile}`"
            )
        super().__init__(text)
        self.service = service
        self.profile = profile


class NothingToUpload(UploadError):
    """The session itself cannot be uploaded; the message says why and what to do."""

    failure: Failure = "refused"


class AuthorizationError(UploadError):
    """Connecting an account did not work; the message says why and what to do."""

    failure: Failure = "auth"


class AccountsError(UploadError):
    """The accounts file at ``path`` cannot be used."""

    failure: Failure = "auth"

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
