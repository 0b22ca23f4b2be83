"""Connecting and disconnecting a profile's accounts, and its after-session choices.

Shape::

    connect_strava(accounts, profile, client_id, client_secret, strava=, show_url=,
                   timeout_s=, port=, cancel=) -> ProfileAccounts
        a state, the local redirect (``oauth_redirect``), the authorization URL handed to
        ``show_url`` (print it, open a browser), the code, the token exchange; kept only if
        the person allowed ``activity:write``; ``cancel`` (a ``Cancellation``) ends the wait
        from another thread (the app's Cancel button)
    connect_intervals(accounts, profile, athlete_id, api_key) -> ProfileAccounts
    disconnect(accounts, profile, service) -> bool
    set_after_session(accounts, profile, service, choice) -> ProfileAccounts
    set_export_folder(accounts, profile, setting | None) -> ProfileAccounts

Connecting wakes the queue's uploads that failed for want of that account (the caller passes
the queue: ``UploadQueue.wake``). The built-in Guest profile cannot connect an account: it is
shared by drop-ins, and one person's account must not receive everybody's sessions; it may
have an export folder (a gym's USB stick).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace

from treadctl.profiles import Profile
from treadctl.upload.accounts import (
    Accounts,
    AfterSession,
    ExportFolder,
    IntervalsAccount,
    ProfileAccounts,
    StravaAccount,
)
from treadctl.upload.errors import AuthorizationError
from treadctl.upload.intervals import check_athlete_id
from treadctl.upload.oauth_redirect import CANCELLED, Cancellation, RedirectCatcher
from treadctl.upload.services import Service
from treadctl.upload.strava import SCOPE, StravaClient, authorization_url

__all__ = [
    "AUTHORIZATION_WAIT_S",
    "connect_intervals",
    "connect_strava",
    "disconnect",
    "set_after_session",
    "set_export_folder",
]

#: How long the browser has to come back after the authorization page was shown.
AUTHORIZATION_WAIT_S = 300.0


def _check_profile(profile: Profile, service: Service) -> None:
    if profile.builtin:
        raise AuthorizationError(
            f"{profile.name} is shared by everybody who drops in, so it has no "
            f"{service.label} account; connect it to your own profile"
        )


def connect_strava(
    accounts: Accounts,
    profile: Profile,
    client_id: str,
    client_secret: str,
    *,
    strava: StravaClient,
    show_url: Callable[[str], None],
    timeout_s: float = AUTHORIZATION_WAIT_S,
    port: int = 0,
    cancel: Cancellation | None = None,
) -> ProfileAccounts:
    """Run Strava's authorization for ``profile`` with the person's own API application
    (``client_id``, ``client_secret``) and keep the tokens. Blocks until the browser comes
    back (at most ``timeout_s``), or ``cancel`` is cancelled."""
    _check_profile(profile, Service.STRAVA)
    client_id = client_id.strip()
    if not client_id.isdigit():
        raise AuthorizationError(
            f"{client_id!r} is not a Strava client id: it is the number on your API "
            "application's page (strava.com/settings/api)"
        )
    if not client_secret.strip():
        raise AuthorizationError("no client secret was given; nothing was connected")
    state = secrets.token_urlsafe(24)
    with RedirectCatcher(state, port=port) as catcher:
        if cancel is not None:
            cancel.bind(catcher)
        show_url(
            authorization_url(
                strava.config, client_id, catcher.redirect_uri, state, approval_prompt="force"
            )
        )
        answer = catcher.wait(timeout_s)
    if cancel is not None and cancel.cancelled:
        # The browser came back as Cancel was pressed: the person asked for nothing, so
        # nothing is kept (the code is left unused; it expires on Strava's side).
        raise AuthorizationError(CANCELLED)
    allowed = set((answer.scope or "").split(","))
    if answer.scope is not None and SCOPE not in allowed:
        raise AuthorizationError(
            f"Strava was connected without permission to upload activities ({SCOPE}); "
            "connect again and leave that box ticked"
        )
    tokens = strava.exchange_code(client_id, client_secret.strip(), answer.code)
    tokens = replace(tokens, scope=answer.scope or SCOPE)
    current = accounts.load(profile)
    updated = replace(
        current,
        profile_name=profile.name,
        strava=StravaAccount(client_id, client_secret.strip(), tokens),
    )
    accounts.save(updated)
    return updated


def connect_intervals(
    accounts: Accounts, profile: Profile, athlete_id: str, api_key: str
) -> ProfileAccounts:
    """Keep ``profile``'s intervals.icu API key (and athlete id, ``0``: the key's own)."""
    _check_profile(profile, Service.INTERVALS)
    try:
        athlete = check_athlete_id(athlete_id)
    except ValueError as error:
        raise AuthorizationError(str(error)) from None
    key = api_key.strip()
    if not key or any(c.isspace() for c in key):
        raise AuthorizationError(
            "that is not an intervals.icu API key (it is one word, at the bottom of the "
            "intervals.icu settings page); nothing was connected"
        )
    current = accounts.load(profile)
    updated = replace(current, profile_name=profile.name, intervals=IntervalsAccount(athlete, key))
    accounts.save(updated)
    return updated


def disconnect(accounts: Accounts, profile: Profile, service: Service) -> bool:
    """Forget ``profile``'s account of ``service`` (tokens, key). False if it had none.

    Strava's side keeps the app's access until the person revokes it on strava.com
    (Settings, My Apps): only they can.
    """
    current = accounts.load(profile)
    if not current.is_connected(service):
        return False
    if service is Service.STRAVA:
        accounts.save(replace(current, strava=None))
    else:
        accounts.save(replace(current, intervals=None))
    return True


def set_after_session(
    accounts: Accounts, profile: Profile, service: Service, choice: AfterSession
) -> ProfileAccounts:
    current = accounts.load(profile)
    updated = replace(current, after_session={**current.after_session, service: choice})
    accounts.save(updated)
    return updated


def set_export_folder(
    accounts: Accounts, profile: Profile, setting: ExportFolder | None
) -> ProfileAccounts:
    current = accounts.load(profile)
    updated = replace(current, export_folder=setting)
    accounts.save(updated)
    return updated
