"""The uploader: a queued session, its profile's account, the service's client, the answer
recorded.

Shape::

    Uploader(folder, store, config=, clock=, http=)
     ├── upload(session_id, service) -> UploadState    queue it (again, if it failed) and try now
     ├── retry_due() -> [UploadState]                  the queue's due rows (the app, on a timer)
     ├── retry_waiting() -> [UploadState]              every row a retry can help, now
     │                                                 (``treadctl upload --pending``)
     └── states(session_ids) -> {id: [UploadState]}    for the history

One try (:meth:`Uploader._attempt`): claim the row (``treadctl.upload.queue``: nobody else
sends it meanwhile), find the session and its profile, make the FIT file from the session log
(the log is the source, as for every export), then per service:

- Strava: refresh the access token first when it has less than ten minutes left (and keep the
  new tokens at once: Strava may have changed the refresh token), or when Strava refuses it
  early (401: a wrong clock here), then try once more; if an earlier try left the
  upload's id, ask about that upload instead of sending the file again; else send it and keep
  the upload's id; poll until an activity or an error. An activity → ``done``; "duplicate of
  activity N" → ``duplicate`` with N; still processing → asked about again later.
- intervals.icu: send it; 201 → ``done``, 200 (it had this file) → ``duplicate``.

Every failure is one :class:`~treadctl.upload.errors.UploadError` recorded on the row with its
sentence, HTTP status and next try; nothing is raised to the caller for it. The caller reads
the returned :class:`~treadctl.upload.queue.UploadState`.

Blocking: this waits for the network (every request has the configured time-out) and sleeps
between Strava's polls. The app calls it on a worker thread (``asyncio.to_thread``), with a
:class:`~treadctl.store.Store` opened on that thread (SQLite connections stay on the thread
that made them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from treadctl.clock import SystemWallClock, WallClock
from treadctl.data_folder import DataFolder
from treadctl.export import ExportError, load_session, read_log
from treadctl.profiles import Profile, Profiles
from treadctl.recorder import SessionLogError
from treadctl.store import Store, StoredSession
from treadctl.upload.accounts import Accounts, ProfileAccounts
from treadctl.upload.errors import NotConnected, NothingToUpload, ServiceError, UploadError
from treadctl.upload.http import Http
from treadctl.upload.intervals import IntervalsClient
from treadctl.upload.queue import UploadQueue, UploadState
from treadctl.upload.services import Service, ServiceConfig
from treadctl.upload.strava import StravaClient, UploadStatus

__all__ = ["PROCESSING_RECHECK_S", "Uploader", "activity_description", "activity_name"]

#: An upload Strava is still processing after the polls is asked about again this much later.
PROCESSING_RECHECK_S = 60.0


def activity_name(session: StoredSession) -> str:
    """The activity's title: the program's name, or what a manual session was."""
    return session.program or "Treadmill session"


def activity_description(session: StoredSession) -> str:
    """What the FIT file cannot say: which way the person faced, and for how long."""
    m = session.summary
    parts = [f"{m.distance_m / 1000:.2f} km in {round(m.duration_s / 60)} min"]
    if m.backward_minutes > 0:
        parts.append(f"backward {m.backward_minutes:.1f} min")
    if m.forward_minutes > 0:
        parts.append(f"forward {m.forward_minutes:.1f} min")
    return f"Treadmill, {', '.join(parts)}. Recorded with treadctl."


class Uploader:
    """See the module docstring."""

    def __init__(
        self,
        folder: DataFolder,
        store: Store,
        *,
        config: ServiceConfig | None = None,
        clock: WallClock | None = None,
        http: Http | None = None,
    ) -> None:
        self.folder = folder
        self.store = store
        self.config = config if config is not None else ServiceConfig()
        self.clock = clock if clock is not None else SystemWallClock()
        self.http = http if http is not None else Http(timeout_s=self.config.timeout_s)
        self.accounts = Accounts(folder)
        self.queue = UploadQueue(store, self.clock)
        self.strava = StravaClient(self.config, self.http, self.clock)
        self.intervals = IntervalsClient(self.config, self.http, self.clock)

    def upload(self, session_id: str, service: Service) -> UploadState:
        """Upload ``session_id`` to ``service`` now (queued first, so a failure is retried)."""
        self.queue.add(session_id, service, again=True)
        return self._attempt(session_id, service)

    def retry_due(self) -> list[UploadState]:
        return [self._attempt(s.session_id, s.service) for s in self.queue.due()]

    def retry_waiting(self) -> list[UploadState]:
        return [self._attempt(s.session_id, s.service) for s in self.queue.waiting()]

    def states(self, session_ids: Iterable[str]) -> dict[str, list[UploadState]]:
        return self.queue.states(session_ids)

    # --- one try -----------------------------------------------------------------------------

    def _attempt(self, session_id: str, service: Service) -> UploadState:
        claimed = self.queue.claim(session_id, service)
        if claimed is None:
            # Finished already, or another process is sending it right now.
            state = self.queue.get(session_id, service)
            assert state is not None  # claim found the row, or add() made it
            return state
        try:
            return self._send(claimed)
        except UploadError as error:
            return self.queue.fail(
                session_id,
                service,
                failure=error.failure,
                reason=str(error),
                http_status=error.status if isinstance(error, ServiceError) else None,
                retry_at=error.retry_at if isinstance(error, ServiceError) else None,
            )
        except BaseException:
            # A bug or Ctrl-C half-way: the row must not stay claimed for the whole lease. If
            # the file went out, the next try is answered "duplicate".
            self.queue.fail(
                session_id,
                service,
                failure="retry",
                reason="interrupted before the answer was recorded",
            )
            raise

    def _send(self, state: UploadState) -> UploadState:
        session = self.store.session(state.session_id)
        if session is None:
            raise NothingToUpload(
                f"no session {state.session_id} in the history; `treadctl history` lists them"
            )
        profile = self._owner(session, state.service)
        accounts = self.accounts.load(profile)
        data = self._fit(session)
        if state.service is Service.STRAVA:
            return self._to_strava(state, session, accounts, data)
        return self._to_intervals(state, session, accounts, data)

    def _owner(self, session: StoredSession, service: Service) -> Profile:
        if session.profile is None:
            raise NotConnected(service, None)
        profile = Profiles(self.store).find(session.profile)
        if profile is None:
            raise NotConnected(service, None)
        if profile.builtin:
            # Guest is shared by drop-ins: one person's account must not get everybody's runs.
            raise NothingToUpload(
                f"a {profile.name} session is not uploaded; save it to your profile first "
                f"(`treadctl profiles save-guest {session.id} NAME`), then upload it"
            )
        return profile

    def _fit(self, session: StoredSession) -> bytes:
        from treadctl.export.fit import to_fit

        try:
            return to_fit(load_session(read_log(session.log_path)))
        except (ExportError, SessionLogError) as error:
            raise NothingToUpload(f"the session's FIT file cannot be made: {error}") from None

    # --- Strava ------------------------------------------------------------------------------

    def _to_strava(
        self, state: UploadState, session: StoredSession, accounts: ProfileAccounts, data: bytes
    ) -> UploadState:
        account = accounts.strava
        if account is None:
            raise NotConnected(Service.STRAVA, accounts.profile_name)
        if not account.tokens.needs_refresh(self.clock.time()):
            try:
                return self._send_to_strava(state, session, account.tokens.access_token, data)
            except ServiceError as error:
                if error.status != 401:
                    raise
                # Refused before its time: this computer's clock is wrong, or Strava ended the
                # token early. One refresh, one more try; a second 401 is the account's.
                state = self.queue.get(state.session_id, Service.STRAVA) or state
        tokens = self.strava.refresh(account.client_id, account.client_secret, account.tokens)
        # Saved before use: the old refresh token may be dead already.
        self.accounts.save(replace(accounts, strava=replace(account, tokens=tokens)))
        return self._send_to_strava(state, session, tokens.access_token, data)

    def _send_to_strava(
        self, state: UploadState, session: StoredSession, token: str, data: bytes
    ) -> UploadState:
        status: UploadStatus | None = None
        if state.upload_ref is not None:
            try:
                status = self.strava.upload_status(token, state.upload_ref)
            except ServiceError as error:
                if error.status != 404:
                    raise
                self.queue.forget_upload_ref(state.session_id, Service.STRAVA)
        if status is None:
            status = self.strava.create_upload(
                token,
                data,
                external_id=state.external_id,
                name=activity_name(session),
                description=activity_description(session),
                filename=f"{state.external_id}.fit",
            )
            self.queue.sent(state.session_id, Service.STRAVA, status.upload_id)
        status = self.strava.wait(token, status)
        if status.activity_id is not None:
            return self.queue.finish(
                state.session_id,
                Service.STRAVA,
                duplicate=False,
                activity_id=status.activity_id,
                activity_url=self.config.strava_activity_url(status.activity_id),
            )
        if status.duplicate:
            existing = status.duplicate_of
            return self.queue.finish(
                state.session_id,
                Service.STRAVA,
                duplicate=True,
                activity_id=existing,
                activity_url=None
                if existing is None
                else self.config.strava_activity_url(existing),
            )
        if status.failed:
            raise ServiceError(
                Service.STRAVA,
                200,
                status.error or status.status or "no reason given",
                what="could not make an activity of the file",
                failure="refused",
            )
        return self.queue.processing(
            state.session_id,
            Service.STRAVA,
            next_try_at=self.clock.time() + PROCESSING_RECHECK_S,
        )

    # --- intervals.icu -----------------------------------------------------------------------

    def _to_intervals(
        self, state: UploadState, session: StoredSession, accounts: ProfileAccounts, data: bytes
    ) -> UploadState:
        account = accounts.intervals
        if account is None:
            raise NotConnected(Service.INTERVALS, accounts.profile_name)
        made = self.intervals.upload(
            account.athlete_id,
            account.api_key,
            data,
            filename=f"{state.external_id}.fit",
            external_id=state.external_id,
            name=activity_name(session),
            description=activity_description(session),
        )
        return self.queue.finish(
            state.session_id,
            Service.INTERVALS,
            duplicate=not made.created,
            activity_id=made.activity_id,
            activity_url=self.config.intervals_activity_url(made.activity_id),
        )
