"""Uploads in the window: accounts connected from the Profiles page's window, sessions uploaded
from History, the queue retried at the next start, the summary's after-session report.

The real app against the virtual treadmill (``tests.ui.harness``) and the engine's own local
stand-ins for Strava and intervals.icu (``tests.treadctl.upload.services``: real HTTP servers
on 127.0.0.1), which the app reaches through ``TREADCTL_STRAVA_URL`` and
``TREADCTL_INTERVALS_URL``, as a proxy would be set. The wall clock of the uploads is the
stand-ins' manual one (``ui.uploads.wall_clock``): Strava's polls take no time, and a test moves
it past a queued upload's next try. The browser is a handler registered for ``http`` with
``QDesktopServices`` (what the app opens goes there, not to a real browser), and it "approves"
with a real HTTP GET that the stand-in redirects to the app's catcher on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QLineEdit, QScrollArea, QWidget

from tests.treadctl.upload.services import FakeIntervals, FakeStrava, Scripted
from tests.treadctl.upload.support import browse
from tests.ui.harness import AppHarness, run, with_app
from treadctl.clock import ManualWallClock
from treadctl.core import SessionShared
from treadctl.profiles import Profile
from treadctl.session import SessionState
from treadctl.upload import (
    Accounts,
    AfterSession,
    ExportFolder,
    IntervalsAccount,
    Service,
    ServiceConfig,
    State,
    StravaAccount,
    UploadState,
    after_session,
    set_after_session,
    set_export_folder,
)
from treadctl.upload.oauth_redirect import CANCELLED
from treadctl.upload.strava import StravaTokens
from ui.profiles.accounts_panel import AccountsPanel
from ui.uploads import Uploads, cell_text, sentence, sentence_html

SECRET = "s3cret"  # FakeStrava's client secret for client 12345
KEY = "k3y-intervals"  # FakeIntervals' API key


@dataclass
class Services:
    clock: ManualWallClock
    strava: FakeStrava
    intervals: FakeIntervals

    @property
    def config(self) -> ServiceConfig:
        return ServiceConfig(strava_url=self.strava.url, intervals_url=self.intervals.url)


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """The stand-ins, and the app pointed at them (before the app is made)."""
    clock = ManualWallClock()
    strava, intervals = FakeStrava(clock), FakeIntervals(clock)
    try:
        monkeypatch.setenv("TREADCTL_STRAVA_URL", strava.url)
        monkeypatch.setenv("TREADCTL_INTERVALS_URL", intervals.url)
        monkeypatch.setattr("ui.uploads.wall_clock", lambda: clock)
        yield Services(clock, strava, intervals)
    finally:
        strava.close()
        intervals.close()


class _Browser(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))


@pytest.fixture
def browser() -> Iterator[_Browser]:
    """What ``QDesktopServices.openUrl`` opens for http, recorded instead of shown."""
    handler = _Browser()
    # A str at run time: PySide6 6.12 refuses the bytes its stubs ask for.
    QDesktopServices.setUrlHandler("http", handler, "open")  # type: ignore[arg-type]
    try:
        yield handler
    finally:
        QDesktopServices.unsetUrlHandler("http")


def profile(app: AppHarness, name: str) -> Profile:
    return app.window.profiles.profiles.get(name)


def connect_by_engine(
    app: AppHarness, services: Services, *, strava: bool = True, intervals: bool = True
) -> None:
    """Ana's accounts as an earlier run left them (the window's own connect has its tests)."""
    accounts = Accounts(app.bridge.folder)
    ana = profile(app, "Ana")
    current = accounts.load(ana)
    if strava:
        issued = services.strava.issue()
        tokens = StravaTokens(
            issued["access_token"], issued["refresh_token"], issued["expires_at"], "4242", "Ana"
        )
        current = replace(current, strava=StravaAccount("12345", SECRET, tokens))
    if intervals:
        current = replace(current, intervals=IntervalsAccount("0", KEY))
    accounts.save(current)


def texts(window: QWidget) -> list[str]:
    """Everything a person can read in ``window`` (labels, and fields that echo)."""
    shown = [label.text() for label in window.findChildren(QLabel)]
    shown += [label.toolTip() for label in window.findChildren(QWidget)]
    shown += [
        edit.text()
        for edit in window.findChildren(QLineEdit)
        if edit.echoMode() is QLineEdit.EchoMode.Normal
    ]
    return shown


async def open_accounts(app: AppHarness, name: str) -> AccountsPanel:
    await app.choose_person(name)
    app.click(app.window.profiles_view.accounts_button)
    window = app.window.accounts_window
    assert window is not None and window.isVisible()
    return window.panel


async def session_uploaded_from_history(app: AppHarness) -> tuple[str, object]:
    """Ana's short session, its row selected on History, Upload pressed: (id, the outcome)."""
    await app.choose_person("Ana")
    await app.short_session()
    await app.choose_person("Ana")  # the gym's chooser came back after the session
    app.window.show_page("history")
    history = app.window.history_view
    session = history.shown_session
    assert session is not None and history.table.rowCount() == 1
    finished = app.expect(app.window.uploads.finished)
    app.click(history.upload_button)
    (outcome,) = await finished
    return session.id, outcome


# -- accounts ---------------------------------------------------------------------------------


@with_app()
async def test_intervals_connects_from_the_accounts_window_into_a_private_file(
    app: AppHarness, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app.add_people("Ana")
    panel = await open_accounts(app, "Ana")
    uploads = app.window.uploads
    assert panel.title.text() == "Accounts and uploads — Ana"
    assert panel.intervals_form.isVisible() and not panel.intervals_disconnect.isVisible()
    assert panel.api_key.echoMode() is QLineEdit.EchoMode.Password

    panel.api_key.setText(KEY)
    answered = app.expect(uploads.accounts_changed)
    app.click(panel.intervals_connect)
    (answer,) = await answered
    assert not answer.refused
    assert panel.intervals_state.text() == "Connected: the key's own athlete."
    assert panel.message.text() == "intervals.icu connected (the key's own athlete)."
    assert not panel.intervals_form.isVisible() and panel.intervals_disconnect.isVisible()
    assert panel.api_key.text() == ""  # not kept in the window once connected
    path = Accounts(app.bridge.folder).path(profile(app, "Ana"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KEY in path.read_text()  # kept there, and only there:
    assert not any(KEY in text for text in texts(panel.window()))
    assert KEY not in caplog.text

    # The after-session choice is the file's.
    changed = app.expect(uploads.accounts_changed)
    panel.intervals_choice.setCurrentIndex(0)
    panel.intervals_choice.activated.emit(0)
    await changed
    assert uploads.load(profile(app, "Ana")).preference(Service.INTERVALS) is AfterSession.AUTO

    # A wrong athlete id is a sentence, and nothing changes.
    changed = app.expect(uploads.accounts_changed)
    app.click(panel.intervals_disconnect)
    await changed
    assert panel.intervals_state.text() == "Not connected."
    panel.athlete_id.setText("Ana")
    panel.api_key.setText(KEY)
    refused = app.expect(uploads.accounts_changed)
    app.click(panel.intervals_connect)
    (answer,) = await refused
    assert answer.refused
    assert panel.message.text().startswith(
        "intervals.icu not connected: 'Ana' is not an intervals.icu athlete id"
    )
    assert uploads.load(profile(app, "Ana")).intervals is None

    # Guest has none, and says why; its export folder may be set.
    await app.choose_person("Guest")
    assert panel.title.text() == "Accounts and uploads — Guest"
    assert "shared by everybody who drops in" in panel.note.text()
    assert not panel.intervals_form.isVisible() and not panel.strava_form.isVisible()
    assert panel.choose_folder.isEnabled()


@with_app()
async def test_strava_connects_through_the_browser_and_a_cancel_keeps_nothing(
    app: AppHarness, services: Services, browser: _Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app.add_people("Ana")
    panel = await open_accounts(app, "Ana")
    uploads = app.window.uploads
    panel.client_id.setText("12345")
    panel.client_secret.setText(SECRET)

    # Cancel while the browser is out: the catcher lets go, nothing is asked of Strava.
    address = app.expect(uploads.strava_address)
    answered = app.expect(uploads.accounts_changed)
    app.click(panel.strava_connect)
    (url,) = await address
    assert browser.opened == [url]  # opened with QDesktopServices …
    assert panel.strava_wait.isVisible() and panel.address.text() == url  # … and shown
    assert url.startswith(f"{services.strava.url}/oauth/authorize?")
    app.click(panel.cancel_button)
    (answer,) = await answered
    assert answer.refused and panel.message.text() == f"Strava not connected: {CANCELLED}"
    assert not panel.strava_wait.isVisible() and panel.strava_form.isVisible()
    assert services.strava.of("POST", "/oauth/token") == []

    # Again, and the person approves: the browser's GET comes back to the app's catcher.
    address = app.expect(uploads.strava_address)
    answered = app.expect(uploads.accounts_changed)
    app.click(panel.strava_connect)
    (url,) = await address
    status, page = await asyncio.to_thread(browse, url)
    assert status == 200 and "You can close this tab" in page
    (answer,) = await answered
    assert not answer.refused
    assert panel.strava_state.text() == (
        "Connected as Ana Runner (athlete 4242), with your API application 12345."
    )
    assert panel.message.text() == "Strava connected as Ana Runner."
    assert panel.client_secret.text() == "" and not panel.strava_form.isVisible()
    (exchange,) = services.strava.of("POST", "/oauth/token")
    assert exchange.fields["client_secret"] == SECRET
    connected = uploads.load(profile(app, "Ana")).strava
    assert connected is not None and connected.tokens.access_token in services.strava.access
    shown = texts(panel.window())
    for secret in (SECRET, connected.tokens.access_token, connected.tokens.refresh_token):
        assert not any(secret in text for text in shown)
        assert secret not in caplog.text


# -- History ----------------------------------------------------------------------------------


@with_app()
async def test_a_session_uploaded_from_history_shows_each_activity(
    app: AppHarness, services: Services
) -> None:
    app.add_people("Ana")
    connect_by_engine(app, services)
    await app.connect()
    session_id, _ = await session_uploaded_from_history(app)
    history = app.window.history_view
    cell = history.upload_cell(session_id)
    assert cell is not None and cell.text() == "Strava ✓, intervals ✓"
    (strava_activity,) = services.strava.activities
    (intervals_activity,) = services.intervals.activities
    assert cell.toolTip().splitlines() == [
        f"Strava: uploaded, {services.strava.url}/activities/{strava_activity}",
        f"intervals.icu: uploaded, {services.intervals.url}/activities/{intervals_activity}",
    ]
    # What the press did, under the table: each activity a link to it.
    assert history.status.text().split("<br>")[0].startswith("Strava: uploaded, <a href=")
    for service_url, activity in (
        (services.strava.url, strava_activity),
        (services.intervals.url, intervals_activity),
    ):
        assert f'href="{service_url}/activities/{activity}"' in history.status.text()
    area = app.window.pages.currentWidget()
    assert isinstance(area, QScrollArea) and area.horizontalScrollBar().maximum() == 0
    assert history.upload_button.isEnabled() and not history.retry_button.isEnabled()

    # Pressed again: nothing is sent twice.
    finished = app.expect(app.window.uploads.finished)
    app.click(history.upload_button)
    await finished
    assert history.status.text().startswith("Already uploaded to every connected service.")
    assert len(services.strava.of("POST", "/api/v3/uploads")) == 1
    assert len(services.intervals.of("POST", "/api/v1/")) == 1


def test_a_server_error_is_queued_shown_and_retried_at_the_next_start(
    loop: asyncio.AbstractEventLoop, tmp_path: Path, services: Services
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            app.add_people("Ana")
            connect_by_engine(app, services, strava=False)
            services.intervals.script.append(
                Scripted(500, {"status": 500, "error": "Internal Server Error"})
            )
            await app.connect()
            session_id, _ = await session_uploaded_from_history(app)
            history = app.window.history_view
            cell = history.upload_cell(session_id)
            assert cell is not None
            assert cell.text().startswith("intervals ⟳ queued, next try ")
            assert "(HTTP 500): Internal Server Error" in cell.toolTip()
            assert "or “Retry queued uploads” now" in cell.toolTip()
            assert history.retry_button.isEnabled()  # the --pending equivalent is offered
            assert services.intervals.activities == {}
        services.clock.advance(120)  # past the first retry's minute
        async with AppHarness(tmp_path) as app:
            # At start, quietly, on a worker thread: the queue's due upload went.
            await app.window.uploads.wait_idle(timeout=10)
            assert len(services.intervals.activities) == 1
            assert len(services.intervals.of("POST", "/api/v1/")) == 2  # the 500, then this
            await app.choose_person("Ana")
            app.window.show_page("history")
            cell = app.window.history_view.upload_cell(session_id)
            assert cell is not None and cell.text() == "intervals ✓"
            assert app.window.statusBar().currentMessage() == ""  # nothing to tell

    run(loop, scenario())


@with_app()
async def test_a_retry_that_fails_for_good_is_said_and_retry_queued_sends_now(
    app: AppHarness, services: Services
) -> None:
    app.add_people("Ana")
    connect_by_engine(app, services, strava=False)
    services.intervals.script.append(Scripted(503, {"status": 503, "error": "Busy"}))
    await app.connect()
    session_id, _ = await session_uploaded_from_history(app)
    history = app.window.history_view
    uploads: Uploads = app.window.uploads

    # The timer's retry, between sessions, once due: the key was revoked meanwhile.
    services.clock.advance(120)
    services.intervals.script.append(Scripted(401, {"status": 401, "error": "Unauthorized"}))
    changed = app.expect(uploads.states_changed)
    uploads.on_timer()
    await changed
    await uploads.wait_idle(timeout=10)
    message = app.window.statusBar().currentMessage()
    assert message.startswith("Uploads: intervals.icu: failed after 2 tries (intervals.icu")
    assert "(HTTP 401): Unauthorized" in message and "connected again" in message
    cell = history.upload_cell(session_id)
    assert cell is not None and cell.text().startswith("intervals ✗ failed: intervals.icu")

    # Connected again (the key is good): the waiting upload goes at once.
    panel = await open_accounts(app, "Ana")
    app.click(panel.intervals_disconnect)
    await app.until(panel.intervals_form.isVisible, uploads.accounts_changed)
    panel.api_key.setText(KEY)
    done = app.expect(uploads.states_changed)
    app.click(panel.intervals_connect)
    await done
    await uploads.wait_idle(timeout=10)
    assert "1 upload(s) waiting for it are being sent now" in panel.message.text()
    assert len(services.intervals.activities) == 1
    app.window.show_page("history")
    cell = history.upload_cell(session_id)
    assert cell is not None and cell.text() == "intervals ✓"


@with_app()
async def test_stop_answers_while_an_upload_waits_for_the_service(
    app: AppHarness, services: Services
) -> None:
    """The upload blocks on a worker thread, never on the one that handles STOP."""
    app.add_people("Ana")
    connect_by_engine(app, services, strava=False)
    await app.connect()
    await app.choose_person("Ana")
    await app.short_session()
    (stored,) = app.window.profiles.store.sessions("Ana")
    services.intervals.hang = 1  # the request is taken, and not answered
    upload = app.window.uploads.upload(stored.id)
    assert await asyncio.to_thread(services.intervals.hung.wait, 10)
    await app.choose_person("Ana")
    await app.start_program_file()
    await app.belt_running()
    stopped = app.expect_state(SessionState.STOPPED)
    app.click(app.window.controls.stop_button)
    await stopped
    await app.belt_stopped()
    assert not upload.done()  # still waiting for intervals.icu, and the belt has stopped
    services.intervals.release.set()  # the service hangs up without an answer
    outcome = await upload
    (state,) = outcome.states
    assert state.state is State.FAILED and state.failure == "retry"  # queued, not lost


def test_how_each_state_reads() -> None:
    now = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)

    def row(state: State, **changes: object) -> UploadState:
        base = UploadState(
            "s1",
            Service.INTERVALS,
            state,
            "treadctl-s1",
            1,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            now,
        )
        return replace(base, **changes)  # type: ignore[arg-type]

    later = now + timedelta(minutes=2)
    assert cell_text([]) == ""
    assert cell_text([row(State.PENDING), row(State.DONE, service=Service.STRAVA)]) == (
        "Strava ✓, intervals ⟳ queued"
    )
    assert cell_text([row(State.UPLOADING, claimed_at=now)]) == "intervals ⟳ uploading"
    processing = row(State.UPLOADING, next_try_at=later)
    assert cell_text([processing]) == "intervals ⟳ processing"
    assert sentence(processing).startswith("intervals.icu: sent, still being processed; asked")
    refused = row(State.FAILED, failure="refused", reason="intervals.icu refused it (HTTP 422)")
    assert cell_text([refused]) == "intervals ✗ failed: intervals.icu refused it (HTTP 422)"
    assert sentence(refused).endswith("; “Upload” tries again")
    done = row(State.DUPLICATE, activity_id="i9", activity_url="https://intervals.icu/a/i9")
    assert sentence(done) == "intervals.icu: already there, https://intervals.icu/a/i9"
    assert sentence_html(done) == (
        'intervals.icu: already there, <a href="https://intervals.icu/a/i9" '
        'style="color:#f0f6fc">activity i9</a>'
    )
    assert sentence_html(row(State.FAILED, failure="auth", reason="<b>no</b>")).count("<b>") == 0


# -- after a session --------------------------------------------------------------------------


@with_app()
async def test_the_summary_shows_the_after_session_report_and_asks(
    app: AppHarness, services: Services
) -> None:
    app.add_people("Ana")
    connect_by_engine(app, services)
    ana = profile(app, "Ana")
    accounts = Accounts(app.bridge.folder)
    set_after_session(accounts, ana, Service.STRAVA, AfterSession.AUTO)  # intervals: ask
    folder = app.tmp_path / "usb"
    folder.mkdir()
    set_export_folder(accounts, ana, ExportFolder(folder, ("fit",)))
    await app.connect()
    await app.choose_person("Ana")
    await app.short_session()
    summary = app.window.summary
    assert app.window.page == "summary" and not summary.after_box.isVisible()
    (stored,) = app.window.profiles.store.sessions("Ana")

    # As the core does (its share, after_session, on a worker thread), its report to the
    # window through the core's own event (a simulated session is never shared by the core).
    report = await asyncio.to_thread(
        after_session,
        stored.id,
        folder=app.bridge.folder,
        config=services.config,
        clock=services.clock,
    )
    for listener in list(app.bridge.core._listeners):
        listener(SessionShared(report))
    assert summary.after_box.isVisible()
    (written,) = folder.iterdir()
    (strava_activity,) = services.strava.activities
    assert summary.after_session_text == [
        "Export folder: FIT written into “usb”",
        f"Strava: uploaded, {services.strava.url}/activities/{strava_activity}",
    ]
    assert summary.after_text.toolTip() == str(written)
    ask = summary.ask_buttons[Service.INTERVALS]
    assert ask.isVisible() and ask.text() == "Upload to intervals.icu"
    assert not summary.ask_buttons[Service.STRAVA].isVisible()
    assert services.intervals.activities == {}  # asked, not sent

    finished = app.expect(app.window.uploads.finished)
    app.click(ask)
    await finished
    (intervals_activity,) = services.intervals.activities
    assert summary.after_session_text[-1] == (
        f"intervals.icu: uploaded, {services.intervals.url}/activities/{intervals_activity}"
    )
    assert f'href="{services.intervals.url}/activities/{intervals_activity}"' in (
        summary.after_text.text()
    )
    assert not ask.isVisible()

    # Another session's report is not this page's.
    assert not summary.show_after_session(replace(report, session_id="another"))
