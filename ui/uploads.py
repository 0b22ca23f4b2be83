"""Uploads in the app: the engine's blocking calls on worker threads, the answers on the UI thread.

Shape::

    Uploads(bridge, model)                    owned by the main window; the widgets call it and
     │                                        listen to its signals, and never see a thread
     ├── states(session_ids)                  the queue's rows, for the history (UI thread: one
     │                                        SELECT on the history's own connection)
     ├── load(profile) -> ProfileAccounts     a profile's accounts file (UI thread: one small
     │                                        file; nothing in it is ever shown back)
     ├── upload(session_id, services=None)    now, to every connected service not done yet
     ├── retry_waiting()                      "Retry queued uploads" (``treadctl upload
     │                                        --pending``): every row a retry can help
     ├── retry_due(quiet=)                    what is due; ``start()`` runs it once the window
     │                                        is up, then every RETRY_EVERY_S between sessions
     ├── connect_strava(profile, id, secret)  the OAuth flow; ``cancel_connect()`` ends its wait
     ├── connect_intervals / disconnect_account / set_after_session / set_export_folder
     ├── on_after_session(report)             the core's AfterSessionReport → ``reported``
     └── close()                              cancels a connect, waits for the jobs
    cell_text(states) / sentence(state)       how a queue row reads in the app

Every engine call that touches the network or the disk runs in ``asyncio.to_thread`` (as a
closure: ``_in_thread`` says why) from a task on the qasync loop — the Qt thread, where the STOP
key and the belt's stop are handled — and the task goes on there afterwards, so every signal is
emitted on the UI thread. Each job
opens its own :class:`~treadctl.store.Store` on its worker thread (SQLite connections stay on
the thread that made them) and closes it. Uploads and accounts writes run one at a time (an
``asyncio.Lock``): two "Upload" presses must not race for the same queue row, and a token
refresh must not interleave with a change of the same accounts file. A Strava connect is
outside that lock: it waits minutes for the browser, and uploads go on meanwhile.

Every method that starts a job returns its task (the tests await it); its answer also comes as
a signal. Nothing here logs or emits a secret: the client secret and the API key go to the
engine and are forgotten with the job.

Where the services are: ``service_config()`` (``TREADCTL_STRAVA_URL``, ``TREADCTL_INTERVALS_URL``,
``TREADCTL_HTTP_TIMEOUT``, as for the command line), read for each job; the wall clock is
``wall_clock()``. Both are module functions so the tests can point them at their stand-ins.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from treadctl.clock import SystemWallClock, WallClock
from treadctl.data_folder import DataFolder
from treadctl.profiles import Profile, ProfileError, Profiles
from treadctl.store import Store, StoreError
from treadctl.upload import (
    Accounts,
    AfterSession,
    AfterSessionReport,
    ExportFolder,
    ProfileAccounts,
    Service,
    ServiceConfig,
    State,
    Uploader,
    UploadError,
    UploadQueue,
    UploadState,
    connect_intervals,
    connect_strava,
    disconnect,
    set_after_session,
    set_export_folder,
)
from treadctl.upload.http import Http
from treadctl.upload.oauth_redirect import Cancellation
from treadctl.upload.strava import StravaClient
from ui import colors
from ui.bridge import Bridge
from ui.profiles.model import ProfilesModel

__all__ = [
    "RETRY_EVERY_S",
    "AccountsAnswer",
    "UploadOutcome",
    "Uploads",
    "cell_text",
    "sentence",
    "sentence_html",
    "service_config",
    "tooltip",
    "wall_clock",
]

logger = logging.getLogger(__name__)

#: Between sessions, what has come due is retried this often (the backoff starts at a minute
#: and grows to six hours: a check every five minutes is late by five minutes at most).
RETRY_EVERY_S = 300
#: Closing the app waits this long (real seconds) for an upload under way to be recorded; the
#: belt is stopped by then. An upload cut short is taken over by the next run (the queue's
#: claim lease) and answered "duplicate" if it went out: never lost, never sent twice.
CLOSE_WAIT_S = 5.0

#: Names short enough for a table cell; sentences use ``Service.label``.
_SHORT = {Service.STRAVA: "Strava", Service.INTERVALS: "intervals"}
#: What a job can fail with: each says why, as a sentence.
_ERRORS = (UploadError, StoreError, ProfileError, OSError, ValueError)


def wall_clock() -> WallClock:
    """The clock uploads run on (the tests' is a stand-in's, that they move by hand)."""
    return SystemWallClock()


def service_config() -> ServiceConfig:
    """Where the services are (the environment may say otherwise: a proxy, the tests);
    ``ValueError`` with a sentence for an unusable address."""
    return ServiceConfig.from_environment()


# -- how a queue row reads ----------------------------------------------------------------------


def _when(moment: datetime) -> str:
    """A time in the person's own zone: the history's dates are local too."""
    local = moment.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return f"{local:%H:%M}"
    return f"{local:%d %b %H:%M}"


def _processing(state: UploadState) -> bool:
    """Sent, and the service has not made the activity yet (the claim let go)."""
    return state.state is State.UPLOADING and state.claimed_at is None


def _mark(state: UploadState) -> str:
    match state.state:
        case State.DONE | State.DUPLICATE:
            return "✓"
        case State.PENDING:
            return "⟳ queued"
        case State.UPLOADING:
            return "⟳ processing" if _processing(state) else "⟳ uploading"
    if state.failure == "retry":
        if state.next_try_at is None:
            return "⟳ queued"
        return f"⟳ queued, next try {_when(state.next_try_at)}"
    return f"✗ failed: {state.reason or 'no reason given'}"


def _ordered(states: Iterable[UploadState]) -> list[UploadState]:
    """Strava first, then intervals.icu, whichever order the queue gave them in."""
    order = list(Service)
    return sorted(states, key=lambda s: order.index(s.service))


def cell_text(states: Iterable[UploadState]) -> str:
    """The history's "Uploads" cell: ``"Strava ✓, intervals ⟳ queued, next try 10:15"``;
    empty when nothing was uploaded or queued."""
    return ", ".join(f"{_SHORT[s.service]} {_mark(s)}" for s in _ordered(states))


def tooltip(states: Iterable[UploadState]) -> str:
    """The cell's tooltip: a :func:`sentence` per service, a line each."""
    return "\n".join(sentence(s) for s in _ordered(states))


def sentence(state: UploadState) -> str:
    """One row for a person, with what comes next — in the app's words (the engine's
    ``describe`` tells the command line's)."""
    title = state.service.label
    where = state.activity_url or (
        f"activity {state.activity_id}" if state.activity_id else "activity not named"
    )
    match state.state:
        case State.DONE:
            return f"{title}: uploaded, {where}"
        case State.DUPLICATE:
            return f"{title}: already there, {where}"
        case State.PENDING:
            return f"{title}: queued, to be sent"
        case State.UPLOADING:
            if _processing(state) and state.next_try_at is not None:
                return (
                    f"{title}: sent, still being processed; asked again at "
                    f"{_when(state.next_try_at)}"
                )
            return f"{title}: uploading (try {state.attempts})"
    tries = f"{state.attempts} tr{'y' if state.attempts == 1 else 'ies'}"
    text = f"{title}: failed after {tries} ({state.reason or 'no reason given'})"
    if state.failure == "retry":
        when = "" if state.next_try_at is None else f"next try at {_when(state.next_try_at)}, "
        return f"{text}; queued: {when}or “Retry queued uploads” now"
    if state.failure == "auth":
        return (
            f"{text}; it goes once the account is connected again (Profiles, “Accounts and "
            "uploads…”)"
        )
    return f"{text}; “Upload” tries again"


def sentence_html(state: UploadState) -> str:
    """:func:`sentence` as rich text, the activity's address a link named "activity N": an
    address is one long word, and as text it would widen the label that shows it."""
    url, text = state.activity_url, sentence(state)
    if url is None or url not in text:
        return html.escape(text)
    before, _, after = text.partition(url)
    name = f"activity {state.activity_id}" if state.activity_id else "the activity"
    # The text's own colour, underlined: blue means "forward" everywhere else in the app.
    link = (
        f'<a href="{html.escape(url, quote=True)}" style="color:{colors.TEXT}">'
        f"{html.escape(name)}</a>"
    )
    return f"{html.escape(before)}{link}{html.escape(after)}"


def failed_for_good(state: UploadState) -> bool:
    """Failed in a way no retry by itself can help: an account to connect again, a file the
    service turned down. What the person must hear about."""
    return state.state is State.FAILED and state.failure in ("auth", "refused")


# -- answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadOutcome:
    """What an upload or a retry did: the rows as they are now, or why nothing was tried."""

    kind: Literal["upload", "retry", "due"]
    session_id: str | None  # the session uploaded; None for the retries
    states: tuple[UploadState, ...] = ()
    problem: str | None = None

    @property
    def session_ids(self) -> set[str]:
        ids = {s.session_id for s in self.states}
        return ids | ({self.session_id} if self.session_id is not None else set())

    def sentences(self) -> list[str]:
        return ([self.problem] if self.problem else []) + [
            sentence(s) for s in _ordered(self.states)
        ]

    def sentences_html(self) -> list[str]:
        """:meth:`sentences` as rich text (links to the activities)."""
        return ([html.escape(self.problem)] if self.problem else []) + [
            sentence_html(s) for s in _ordered(self.states)
        ]


@dataclass(frozen=True)
class AccountsAnswer:
    """What a change of a profile's accounts did: the accounts now (None: unchanged, or
    unreadable), a sentence, and whether it was refused."""

    profile_id: int
    accounts: ProfileAccounts | None
    message: str
    refused: bool = False
    service: Service | None = None
    woken: int = 0  # uploads that were waiting for this account, due now


@dataclass
class _Connecting:
    profile_id: int
    cancellation: Cancellation
    address: str | None = None
    task: asyncio.Task[AccountsAnswer] | None = field(default=None, repr=False)


# -- on the worker threads ----------------------------------------------------------------------


async def _in_thread[T](work: Callable[[], T]) -> T:
    """``work()`` on a worker thread, the caller resumed on the loop's (the UI) thread.

    Always a closure with no arguments: qasync's executor logs every call it is given with its
    arguments (DEBUG), and ``asyncio.to_thread``'s arguments would be in that line — a client
    secret, an API key. A closure's repr names the function only.
    """
    return await asyncio.to_thread(work)


def _uploader(folder: DataFolder, store: Store) -> Uploader:
    return Uploader(folder, store, config=service_config(), clock=wall_clock())


def _upload_in_thread(
    folder: DataFolder, session_id: str, services: tuple[Service, ...] | None
) -> UploadOutcome:
    def refused(problem: str, states: Iterable[UploadState] = ()) -> UploadOutcome:
        return UploadOutcome("upload", session_id, tuple(states), problem)

    with Store.of(folder) as store:
        session = store.session(session_id)
        if session is None:
            return refused("This session is no longer in the history; nothing was uploaded.")
        profile = Profiles(store).find(session.profile) if session.profile else None
        if profile is None:
            return refused(
                "This session was recorded under no profile, so there is no account to "
                "upload it with."
            )
        if profile.builtin:
            return refused(
                "A Guest session is not uploaded: save it to your profile first (Profiles "
                "page), then upload it from there."
            )
        uploader = _uploader(folder, store)
        if services is None:
            connected = uploader.accounts.load(profile).connected
            if not connected:
                return refused(
                    f"{profile.name} has no account connected: Profiles page, “Accounts and "
                    "uploads…”."
                )
            done = {s.service: s for s in uploader.queue.states([session_id])[session_id]}
            services = tuple(s for s in connected if s not in done or not done[s].finished)
            if not services:
                return refused(
                    "Already uploaded to every connected service.",
                    (done[s] for s in connected),
                )
        return UploadOutcome(
            "upload", session_id, tuple(uploader.upload(session_id, s) for s in services)
        )


def _retry_in_thread(folder: DataFolder, kind: Literal["retry", "due"]) -> UploadOutcome:
    with Store.of(folder) as store:
        uploader = _uploader(folder, store)
        states = uploader.retry_waiting() if kind == "retry" else uploader.retry_due()
    return UploadOutcome(kind, None, tuple(states))


def _wake(folder: DataFolder, service: Service) -> int:
    with Store.of(folder) as store:
        return UploadQueue(store, wall_clock()).wake(service)


def _connect_strava_in_thread(
    folder: DataFolder,
    profile: Profile,
    client_id: str,
    secret: str,
    show_url: Callable[[str], None],
    cancellation: Cancellation,
) -> tuple[ProfileAccounts, int]:
    config = service_config()
    clock = wall_clock()
    connected = connect_strava(
        Accounts(folder),
        profile,
        client_id,
        secret,
        strava=StravaClient(config, Http(timeout_s=config.timeout_s), clock),
        show_url=show_url,
        cancel=cancellation,
    )
    return connected, _wake(folder, Service.STRAVA)


def _connect_intervals_in_thread(
    folder: DataFolder, profile: Profile, athlete_id: str, key: str
) -> tuple[ProfileAccounts, int]:
    connected = connect_intervals(Accounts(folder), profile, athlete_id, key)
    return connected, _wake(folder, Service.INTERVALS)


# -- the UI side --------------------------------------------------------------------------------


class Uploads(QObject):
    """See the module docstring."""

    states_changed = Signal(object)  # set[str]: sessions whose upload rows changed
    finished = Signal(object)  # UploadOutcome of upload / retry_waiting / retry_due
    accounts_changed = Signal(object)  # AccountsAnswer
    strava_address = Signal(str)  # the authorization page, to open and to show
    connecting_changed = Signal()  # a Strava connect started or ended
    busy_changed = Signal(bool)  # an upload or retry under way (its buttons wait)
    notice = Signal(str)  # a quiet retry failed for good: for the status bar
    reported = Signal(object)  # AfterSessionReport, from the core: the summary shows it

    def __init__(self, bridge: Bridge, model: ProfilesModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._model = model
        self.folder: DataFolder = bridge.folder
        #: How the browser is opened (the tests register their own handler for http).
        self.open_url: Callable[[str], object] = lambda url: QDesktopServices.openUrl(
            QUrl.fromEncoded(url.encode())
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lock: asyncio.Lock | None = None  # made on the loop, when first needed
        self._running = 0
        self._connecting: _Connecting | None = None
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setInterval(RETRY_EVERY_S * 1000)
        self._timer.timeout.connect(self.on_timer)

    # -- reading, on the UI thread -----------------------------------------------------------

    @property
    def available(self) -> bool:
        """The history can be used (the queue lives in it)."""
        return self._model.available

    def states(self, session_ids: Iterable[str]) -> dict[str, list[UploadState]]:
        """The queue's rows of these sessions (every id a key); empty without a history."""
        ids = list(session_ids)
        if not self.available:
            return {i: [] for i in ids}
        try:
            return UploadQueue(self._model.store, wall_clock()).states(ids)
        except StoreError as error:
            logger.warning("upload states not read: %s", error)
            return {i: [] for i in ids}

    def load(self, profile: Profile) -> ProfileAccounts:
        """``profile``'s accounts; raises :class:`UploadError` with the file's sentence."""
        return Accounts(self.folder).load(profile)

    @property
    def busy(self) -> bool:
        return self._running > 0

    @property
    def connecting(self) -> int | None:
        """The profile id a Strava connect is under way for (None: none)."""
        return None if self._connecting is None else self._connecting.profile_id

    @property
    def connect_address(self) -> str | None:
        """The authorization page of the connect under way, once the engine has made it."""
        return None if self._connecting is None else self._connecting.address

    # -- uploads -----------------------------------------------------------------------------

    def upload(
        self, session_id: str, services: Sequence[Service] | None = None
    ) -> asyncio.Task[UploadOutcome]:
        """Upload ``session_id`` now: to ``services``, or every service its profile has
        connected that does not have it yet. Answers with ``finished``."""
        wanted = None if services is None else tuple(services)
        return self._job(
            lambda: _upload_in_thread(self.folder, session_id, wanted),
            UploadOutcome("upload", session_id),
        )

    def retry_waiting(self) -> asyncio.Task[UploadOutcome]:
        """Every queued upload a retry can help, now (``treadctl upload --pending``)."""
        return self._job(
            lambda: _retry_in_thread(self.folder, "retry"), UploadOutcome("retry", None)
        )

    def retry_due(self, *, quiet: bool = True) -> asyncio.Task[UploadOutcome]:
        """What the queue says is due. ``quiet``: a notice only for what failed for good."""
        return self._job(
            lambda: _retry_in_thread(self.folder, "due"),
            UploadOutcome("due", None),
            quiet=quiet,
        )

    def waiting(self) -> int:
        """How many uploads "Retry queued uploads" may try now (asked at every change of the
        history's selection: read only, where the queue's own ``waiting`` first writes)."""
        if not self.available:
            return 0
        try:
            unfinished = UploadQueue(self._model.store, wall_clock()).unfinished()
        except StoreError:
            return 0
        return sum(1 for state in unfinished if not failed_for_good(state))

    def _has_due(self) -> bool:
        try:
            return bool(UploadQueue(self._model.store, wall_clock()).due())
        except StoreError as error:
            logger.warning("upload queue not read: %s", error)
            return False

    def start(self) -> asyncio.Task[UploadOutcome] | None:
        """The window is up: retry what has come due while the app was closed (quietly), and
        from now on every :data:`RETRY_EVERY_S`. None when there is nothing due."""
        if self._closed:
            return None
        self._timer.start()
        if not self.available or not self._has_due():
            return None  # the common case: no worker thread for nothing
        return self.retry_due(quiet=True)

    def on_timer(self) -> None:
        # Between sessions only: the belt's loop gets the Qt thread to itself while it runs,
        # and an upload finished mid-session would change the history under the person.
        if self.busy or self._bridge.session_active or not self.available:
            return
        if self._has_due():
            self.retry_due(quiet=True)

    def _job(
        self,
        work: Callable[[], UploadOutcome],
        nothing: UploadOutcome,
        *,
        quiet: bool = False,
    ) -> asyncio.Task[UploadOutcome]:
        async def run() -> UploadOutcome:
            self._running += 1
            if self._running == 1:
                self.busy_changed.emit(True)
            try:
                async with self._serial():
                    outcome = await _in_thread(work)
            except _ERRORS as error:
                outcome = UploadOutcome(
                    nothing.kind, nothing.session_id, problem=f"Nothing was uploaded: {error}"
                )
            finally:
                self._running -= 1
                if self._running == 0:
                    self.busy_changed.emit(False)
            if outcome.session_ids:
                self.states_changed.emit(outcome.session_ids)
            if quiet:
                lost = [sentence(s) for s in outcome.states if failed_for_good(s)]
                if outcome.problem:
                    lost.insert(0, outcome.problem)
                if lost:
                    self.notice.emit("Uploads: " + " · ".join(lost))
            else:
                self.finished.emit(outcome)
            return outcome

        return self._spawn(run())

    # -- accounts ----------------------------------------------------------------------------

    def connect_strava(
        self, profile: Profile, client_id: str, client_secret: str
    ) -> asyncio.Task[AccountsAnswer]:
        """Run Strava's authorization for ``profile``: ``strava_address`` gives the page (it
        is opened in the browser too), then ``accounts_changed`` the answer."""
        self.cancel_connect()
        cancellation = Cancellation()
        connecting = _Connecting(profile.id, cancellation)
        self._connecting = connecting
        loop = asyncio.get_running_loop()

        def show_url(url: str) -> None:  # on the worker thread
            loop.call_soon_threadsafe(self._on_address, connecting, url)

        async def run() -> AccountsAnswer:
            try:
                connected, woken = await _in_thread(
                    lambda: _connect_strava_in_thread(
                        self.folder, profile, client_id, client_secret, show_url, cancellation
                    )
                )
            except _ERRORS as error:
                answer = AccountsAnswer(
                    profile.id,
                    None,
                    f"Strava not connected: {error}",
                    refused=True,
                    service=Service.STRAVA,
                )
            else:
                tokens = connected.strava.tokens if connected.strava is not None else None
                who = f" as {tokens.athlete_name}" if tokens and tokens.athlete_name else ""
                answer = AccountsAnswer(
                    profile.id,
                    connected,
                    f"Strava connected{who}.",
                    service=Service.STRAVA,
                    woken=woken,
                )
            finally:
                if self._connecting is connecting:
                    self._connecting = None
                self.connecting_changed.emit()
            return self._answered(answer)

        self.connecting_changed.emit()
        connecting.task = self._spawn(run())
        return connecting.task

    def _on_address(self, connecting: _Connecting, url: str) -> None:
        if self._connecting is not connecting or connecting.cancellation.cancelled:
            return  # cancelled meanwhile: no browser for an abandoned connect
        connecting.address = url
        self.strava_address.emit(url)
        self.open_url(url)

    def cancel_connect(self) -> None:
        """End the Strava connect under way (its wait for the browser); nothing is kept."""
        connecting = self._connecting
        if connecting is not None:
            connecting.cancellation.cancel()

    def connect_intervals(
        self, profile: Profile, athlete_id: str, api_key: str
    ) -> asyncio.Task[AccountsAnswer]:
        async def work() -> AccountsAnswer:
            connected, woken = await _in_thread(
                lambda: _connect_intervals_in_thread(self.folder, profile, athlete_id, api_key)
            )
            athlete = connected.intervals.athlete_id if connected.intervals else "0"
            whose = "the key's own athlete" if athlete == "0" else f"athlete {athlete}"
            return AccountsAnswer(
                profile.id,
                connected,
                f"intervals.icu connected ({whose}).",
                service=Service.INTERVALS,
                woken=woken,
            )

        return self._accounts_job(profile, work, "intervals.icu not connected")

    def disconnect_account(
        self, profile: Profile, service: Service
    ) -> asyncio.Task[AccountsAnswer]:
        async def work() -> AccountsAnswer:
            accounts = Accounts(self.folder)
            await _in_thread(lambda: disconnect(accounts, profile, service))
            after = await _in_thread(lambda: accounts.load(profile))
            revoke = (
                " To end treadctl's access on Strava's side too: strava.com, Settings, My Apps."
                if service is Service.STRAVA
                else ""
            )
            return AccountsAnswer(
                profile.id,
                after,
                f"{service.label} disconnected: its keys are forgotten here.{revoke}",
                service=service,
            )

        return self._accounts_job(profile, work, f"{service.label} not disconnected")

    def set_after_session(
        self, profile: Profile, service: Service, choice: AfterSession
    ) -> asyncio.Task[AccountsAnswer]:
        async def work() -> AccountsAnswer:
            updated = await _in_thread(
                lambda: set_after_session(Accounts(self.folder), profile, service, choice)
            )
            return AccountsAnswer(
                profile.id,
                updated,
                f"After a session, {service.label}: {_CHOICE_WORDS[choice]}.",
                service=service,
            )

        return self._accounts_job(profile, work, "Not changed")

    def set_export_folder(
        self, profile: Profile, setting: ExportFolder | None
    ) -> asyncio.Task[AccountsAnswer]:
        async def work() -> AccountsAnswer:
            updated = await _in_thread(
                lambda: set_export_folder(Accounts(self.folder), profile, setting)
            )
            if setting is None:
                text = "No export folder: sessions stay in the history only."
            else:
                formats = ", ".join(f.upper() for f in setting.formats)
                text = f"After each session, {formats} into {setting.path}."
            return AccountsAnswer(profile.id, updated, text)

        return self._accounts_job(profile, work, "Export folder not changed")

    def _accounts_job(
        self,
        profile: Profile,
        work: Callable[[], Coroutine[Any, Any, AccountsAnswer]],
        failed: str,
    ) -> asyncio.Task[AccountsAnswer]:
        async def run() -> AccountsAnswer:
            try:
                async with self._serial():
                    answer = await work()
            except _ERRORS as error:
                answer = AccountsAnswer(profile.id, None, f"{failed}: {error}", refused=True)
            return self._answered(answer)

        return self._spawn(run())

    def _answered(self, answer: AccountsAnswer) -> AccountsAnswer:
        self.accounts_changed.emit(answer)
        if answer.woken and not self._closed:
            # Uploads that failed for want of this account are due again: send them now.
            self.retry_due(quiet=True)
        return answer

    # -- after a session ---------------------------------------------------------------------

    def on_after_session(self, report: AfterSessionReport) -> None:
        """The core's report of what happened after a session (export folder, uploads):
        the summary shows it (``reported``), the history its rows."""
        self.reported.emit(report)
        self.states_changed.emit({report.session_id})

    # -- lifetime ----------------------------------------------------------------------------

    def _serial(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def _spawn[T](self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # A bug, not a service's answer (those are sentences above): the log has it,
            # the person a sentence.
            logger.error("upload job failed", exc_info=error)
            self.notice.emit(f"Uploads: something went wrong ({type(error).__name__}).")

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Until no job is under way (False: ``timeout`` real seconds passed first). The jobs
        are waited for, never cancelled: a cancelled task would leave its thread running."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(list(self._tasks), timeout=left)
        return True

    async def close(self, timeout: float = CLOSE_WAIT_S) -> None:
        """The app is closing: no more retries, a connect's wait ended, the jobs awaited
        (``timeout`` real seconds at most)."""
        self._closed = True
        self._timer.stop()
        self.cancel_connect()
        if not await self.wait_idle(timeout):
            logger.warning("an upload was still under way at closing; the next start retries it")


_CHOICE_WORDS = {
    AfterSession.AUTO: "upload at once",
    AfterSession.ASK: "ask",
    AfterSession.NEVER: "never upload",
}
