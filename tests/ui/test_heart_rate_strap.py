"""A heart-rate strap in the app: listed, connected, used by sessions, dropping out, remembered.

The whole window against a virtual world with a strap (``VirtualWorld(with_strap=True)``),
reached through the same Bleak backends as the treadmill. The strap's heart rate and the
treadmill's hand-grip heart rate are set to different values, so what a session shows says
which one it took.
"""

from __future__ import annotations

from tests.ui.harness import AppHarness, with_app
from treadctl.core import StrapState
from treadctl.recorder import read_session_log
from treadctl.safety import Notice, NoticeKind
from treadctl.session import Progress, SessionState
from treadctl.virtual.heart_rate_strap import DEFAULT_STRAP_ADDRESS, HeartRateStrap
from treadctl.virtual.treadmill import MachineState
from ui.connect_view import LAST_ADDRESS_KEY, LAST_STRAP_KEY, ConnectView

STRAP_BPM = 142
HAND_GRIP_BPM = 96

WALK_PROGRAM = """\
name = "Test: a long walk"
description = "Forward 10 min: no turnaround gets in the way."

[[steps]]
label = "Walk"
direction = "forward"
speed = "3 km/h"
duration = "10 min"
"""


def strap_of(app: AppHarness) -> HeartRateStrap:
    strap = app.world.strap
    assert strap is not None
    return strap


def set_heart_rates(app: AppHarness) -> None:
    strap_of(app).bpm = STRAP_BPM  # a fixed value: no longer following the belt
    app.world.treadmill.heart_rate_bpm = HAND_GRIP_BPM


class SessionHeartRate:
    """The heart rate of each progress event, as the dashboard gets it."""

    def __init__(self, app: AppHarness) -> None:
        self.values: list[int | None] = []
        app.bridge.progress.connect(self.on_progress)

    def on_progress(self, progress: Progress, _distance_m: float) -> None:
        self.values.append(progress.heart_rate_bpm)

    @property
    def last(self) -> int | None:
        return self.values[-1] if self.values else None


def strap_row(view: ConnectView) -> int:
    for row in range(view.devices.count()):
        if "heart-rate strap" in view.devices.item(row).text():
            return row
    raise AssertionError("no strap listed")


async def connect_strap(app: AppHarness) -> None:
    connected = app.expect(app.bridge.strap_connected)
    app.bridge.connect_strap(DEFAULT_STRAP_ADDRESS)
    await connected


@with_app(with_strap=True)
async def test_a_listed_strap_connects_and_its_readings_reach_the_bridge(app: AppHarness) -> None:
    set_heart_rates(app)
    view = app.window.connect_view
    await app.scan()
    assert view.connect_button.text() == "Connect"  # the treadmill is preselected
    view.devices.setCurrentRow(strap_row(view))
    assert "Virtual HR" in view.devices.currentItem().text()
    assert view.connect_button.text() == "Connect strap"

    connected = app.expect(app.bridge.strap_connected)
    reading = app.expect(app.bridge.strap_reading)
    app.click(view.connect_button)
    (address, name) = await connected
    assert (address, name) == (DEFAULT_STRAP_ADDRESS, "Virtual HR")
    assert await reading == (STRAP_BPM,)
    assert app.bridge.strap_bpm == STRAP_BPM
    # The strap, not the treadmill: still on this page, the treadmill not connected.
    assert not app.bridge.is_connected
    assert app.window.page == "connect"
    assert app.settings.value(LAST_STRAP_KEY) == DEFAULT_STRAP_ADDRESS
    assert app.settings.value(LAST_ADDRESS_KEY) is None
    assert "Virtual HR" in view.strap_status.text()
    assert f"{STRAP_BPM} bpm" in view.strap_status.text()
    assert view.strap_disconnect_button.isVisible()
    assert not view.connect_button.isEnabled()  # this strap is in use already
    # No session: the dashboard's heart-rate tile shows the strap's reading.
    assert app.window.dashboard.heart_rate.value == f"{STRAP_BPM} bpm"

    # Letting it go on purpose forgets it.
    disconnected = app.expect(app.bridge.strap_disconnected)
    app.click(view.strap_disconnect_button)
    await disconnected
    assert app.bridge.strap_state is StrapState.NONE
    assert app.bridge.strap_bpm is None
    assert app.settings.value(LAST_STRAP_KEY) is None
    assert view.strap_status.text() == "Heart-rate strap: none."
    assert not view.strap_disconnect_button.isVisible()
    assert view.connect_button.isEnabled()


@with_app(with_strap=True)
async def test_sessions_take_the_strap_heart_rate_over_the_hand_grips(app: AppHarness) -> None:
    set_heart_rates(app)
    hr = SessionHeartRate(app)
    await app.connect()
    await app.start_program_file(WALK_PROGRAM)
    await app.until(lambda: hr.last == HAND_GRIP_BPM, app.bridge.progress)

    # Connected during a session: the session's runner takes it at once.
    await connect_strap(app)
    await app.until(lambda: hr.last == STRAP_BPM, app.bridge.progress)
    dash = app.window.dashboard
    await app.until(lambda: dash.heart_rate.value == f"{STRAP_BPM} bpm", app.bridge.progress)

    # And in the next session too (a new runner).
    first_log = (await app.finish_session()).log_path
    hr.values.clear()
    await app.start_program_file(WALK_PROGRAM)
    await app.until(lambda: hr.last == STRAP_BPM, app.bridge.progress)
    second_log = (await app.finish_session()).log_path
    assert first_log is not None and second_log is not None

    for path in (first_log, second_log):
        logged = {s["heart_rate_bpm"] for s in read_session_log(path).of_kind("sample")}
        assert STRAP_BPM in logged
    # Before the strap came, the first session recorded the hand grips.
    assert HAND_GRIP_BPM in {
        s["heart_rate_bpm"] for s in read_session_log(first_log).of_kind("sample")
    }


@with_app(with_strap=True)
async def test_a_strap_drop_out_is_not_a_link_loss(app: AppHarness) -> None:
    set_heart_rates(app)
    hr = SessionHeartRate(app)
    notices: list[Notice] = []
    app.bridge.notice.connect(notices.append)
    link_downs: list[bool] = []
    app.bridge.link_down.connect(link_downs.append)
    await app.connect()
    await connect_strap(app)
    await app.start_program_file(WALK_PROGRAM)
    await app.belt_running()
    await app.until(lambda: hr.last == STRAP_BPM, app.bridge.progress)
    stops = app.trace.ops.count("stop")
    view = app.window.connect_view
    strap = strap_of(app)

    # Dropped (from the simulated console): lost, then back by itself, readings again.
    lost = app.expect(app.bridge.strap_lost)
    back = app.expect(app.bridge.strap_connected)
    assert app.window.console is not None
    app.click(app.window.console.buttons["drop_strap"])
    await lost
    await back
    await app.expect(app.bridge.strap_reading)
    assert app.bridge.strap_bpm == STRAP_BPM  # only while connected
    assert "connected" in view.strap_status.text()

    # Dropped, and silent from then on: back on the link but sending nothing, so the
    # session falls back to the hand grips.
    await strap.close()
    lost = app.expect(app.bridge.strap_lost)
    back = app.expect(app.bridge.strap_connected)
    await app.world.radio.drop_link(strap.device)
    await lost
    assert "lost" in view.strap_status.text()
    assert "hand-grip" in view.strap_status.text()
    await back  # the link says it is back: no reading needed for that
    assert app.bridge.strap_state is StrapState.CONNECTED
    await app.until(lambda: hr.last == HAND_GRIP_BPM, app.bridge.progress)
    assert app.bridge.strap_bpm is None
    assert "bpm" not in view.strap_status.text()

    # Through all of it: no alarm, no link loss, no stop; the belt kept going.
    assert [n.kind for n in notices if n.kind is NoticeKind.LINK_LOST] == []
    assert app.window.alarms.row(NoticeKind.LINK_LOST) is None
    assert link_downs == []
    assert app.bridge.is_connected
    assert "lost" not in app.window.link_status.text()
    assert app.bridge.session_state is SessionState.RUNNING
    assert app.world.model.state is MachineState.RUNNING
    assert app.world.model.snapshot().speed_kmh > 0
    assert app.trace.ops.count("stop") == stops


@with_app(with_strap=True)
async def test_the_last_strap_is_connected_again_when_a_scan_sees_it(app: AppHarness) -> None:
    app.settings.setValue(LAST_STRAP_KEY, DEFAULT_STRAP_ADDRESS)
    strap_connected = app.expect(app.bridge.strap_connected)
    await app.connect()  # what --simulate does at start: scan, then the treadmill
    (address, _) = await strap_connected
    assert address == DEFAULT_STRAP_ADDRESS
    assert app.bridge.is_connected  # the treadmill as before
    assert app.bridge.address == app.world.treadmill_address


@with_app(with_strap=False)
async def test_a_remembered_strap_that_is_not_around_is_not_tried(app: AppHarness) -> None:
    app.settings.setValue(LAST_STRAP_KEY, DEFAULT_STRAP_ADDRESS)
    connecting: list[str] = []
    app.bridge.strap_connecting.connect(connecting.append)
    await app.connect()
    assert connecting == []
    assert app.bridge.strap_state is StrapState.NONE
    assert app.settings.value(LAST_STRAP_KEY) == DEFAULT_STRAP_ADDRESS  # kept


@with_app(with_strap=True)
async def test_reconnect_last_at_start_takes_the_strap_too_and_closing_disconnects_it(
    app: AppHarness,
) -> None:
    app.settings.setValue(LAST_ADDRESS_KEY, app.world.treadmill_address)
    app.settings.setValue(LAST_STRAP_KEY, DEFAULT_STRAP_ADDRESS)
    treadmill = app.expect(app.bridge.connected)
    strap_connected = app.expect(app.bridge.strap_connected)
    # What the app does at start without --simulate.
    assert app.window.connect_view.reconnect_last()
    await treadmill
    await strap_connected
    strap = strap_of(app)
    assert strap.device.connections  # the strap itself sees the app

    disconnected = app.expect(app.bridge.strap_disconnected)
    await app.close_window()
    await disconnected
    assert app.bridge.strap_state is StrapState.NONE
    assert not strap.device.connections
    # Closing is not letting it go: it is connected again at the next start.
    assert app.settings.value(LAST_STRAP_KEY) == DEFAULT_STRAP_ADDRESS
