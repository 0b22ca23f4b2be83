"""The UI tests' own helpers (``tests.ui.harness``): a wrong wait or opening would make every
test that uses it wrong, so each is shown doing what it says.

The waits on a plain QObject's signals (no app); the openings and the way out on the whole app
against the virtual treadmill, checked on the app *and* the treadmill itself.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest
from PySide6.QtCore import SIGNAL, QObject, Signal

from tests.ui.harness import (
    AppHarness,
    expect,
    run,
    settings_file,
    until,
    with_app,
)
from treadctl.core import SessionEnded, SessionInfo, SessionKind
from treadctl.limits import Limits
from treadctl.recorder import read_session_log
from treadctl.session import SessionState
from treadctl.virtual.treadmill import MachineState
from ui.settings_view import USAGE_KEY
from ui.usage import Usage

SHORT = 0.2  # real seconds: a wait that is meant to run out

WALK_PROGRAM = """\
name = "Test: the harness's own walk"

[[steps]]
label = "Walk"
direction = "forward"
speed = "3 km/h"
duration = "10 min"
"""


class Beacon(QObject):
    fired = Signal(int)
    other = Signal()

    def listeners(self) -> int:
        """Slots connected to ``fired`` and ``other``: a wait must let go of them when done."""
        return self.receivers(SIGNAL("fired(int)")) + self.receivers(SIGNAL("other()"))


# -- expect ------------------------------------------------------------------------------------


def test_expect_resolves_on_the_next_matching_emission_only(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def scenario() -> None:
        beacon = Beacon()
        beacon.fired.emit(3)  # before arming: not the next one
        fired = expect(beacon.fired, lambda n: n % 3 == 0)
        beacon.fired.emit(1)
        beacon.fired.emit(2)  # emitted before anyone awaits: caught, since armed at once
        beacon.fired.emit(6)
        beacon.fired.emit(9)
        assert await fired == (6,)
        assert beacon.listeners() == 0

    run(loop, scenario())


def test_expect_times_out_without_a_matching_emission(loop: asyncio.AbstractEventLoop) -> None:
    async def scenario() -> None:
        beacon = Beacon()
        fired = expect(beacon.fired, lambda n: n == 3, timeout=SHORT)
        beacon.fired.emit(1)
        beacon.fired.emit(2)
        with pytest.raises(TimeoutError):
            await fired
        assert beacon.listeners() == 0
        beacon.fired.emit(3)  # nothing listens any more: no error, nothing set

    run(loop, scenario())


# -- until -------------------------------------------------------------------------------------


def test_until_checks_now_and_on_each_emission(loop: asyncio.AbstractEventLoop) -> None:
    async def scenario() -> None:
        beacon = Beacon()
        seen: list[int] = []
        beacon.fired.connect(seen.append)  # before until's own check: it sees this emission
        checked: list[int] = []

        def three_seen() -> bool:
            checked.append(len(seen))
            return len(seen) >= 3

        for n in range(5):
            asyncio.get_running_loop().call_soon(beacon.fired.emit, n)
        await until(three_seen, beacon.fired)
        assert checked == [0, 1, 2, 3]  # now, then once per emission, until it held
        assert beacon.listeners() == 1  # only `seen`: until let go
        await until(lambda: len(seen) == 5, beacon.other)  # the rest were emitted after
        assert checked == [0, 1, 2, 3]

    run(loop, scenario())


def test_until_returns_at_once_when_the_condition_holds(loop: asyncio.AbstractEventLoop) -> None:
    async def scenario() -> None:
        beacon = Beacon()
        await until(lambda: True, beacon.fired, timeout=0)  # no emission needed
        assert beacon.listeners() == 0

    run(loop, scenario())


def test_until_listens_to_every_signal_given_and_times_out(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def scenario() -> None:
        beacon = Beacon()
        checks = 0

        def second_check() -> bool:
            nonlocal checks
            checks += 1
            return checks == 2

        asyncio.get_running_loop().call_soon(beacon.other.emit)
        await until(second_check, beacon.fired, beacon.other)
        assert checks == 2
        with pytest.raises(TimeoutError):
            await until(lambda: False, beacon.fired, beacon.other, timeout=SHORT)
        assert beacon.listeners() == 0

    run(loop, scenario())


def test_run_bounds_a_scenario_in_real_time(loop: asyncio.AbstractEventLoop) -> None:
    async def never_ends() -> None:
        await asyncio.Event().wait()

    with pytest.raises(TimeoutError):
        run(loop, never_ends(), timeout=SHORT)


# -- with_app ----------------------------------------------------------------------------------


def test_with_app_gives_pytest_the_loop_tmp_path_and_the_scenarios_fixtures() -> None:
    @with_app(with_strap=True)
    async def test_something(app: AppHarness, tmp_path: Path, capsys: object) -> None:
        """Its doc."""

    assert list(inspect.signature(test_something).parameters) == ["loop", "tmp_path", "capsys"]
    assert test_something.__name__ == "test_something"
    assert test_something.__doc__ == "Its doc."
    assert not inspect.iscoroutinefunction(test_something)  # pytest calls it as it is


@with_app(limits=Limits(max_heart_rate_bpm=150), with_strap=True)
async def test_with_app_opens_the_app_it_names(app: AppHarness, tmp_path: Path) -> None:
    assert app.tmp_path == tmp_path
    assert app.bridge.limits.max_heart_rate_bpm == 150
    assert app.world.strap is not None
    assert app.window.isVisible()
    assert app.settings.fileName() == settings_file(tmp_path).fileName()


@with_app()
async def test_the_harness_answers_the_first_start_question_gym(app: AppHarness) -> None:
    # What every test before the question expects: nobody's choice carries over.
    assert app.window.usage_question is None
    assert app.window.app_settings.usage is Usage.GYM
    assert settings_file(app.tmp_path).value(USAGE_KEY) == "gym"


# -- openings ----------------------------------------------------------------------------------


@with_app()
async def test_running_program_connects_starts_the_program_and_the_belt_moves(
    app: AppHarness,
) -> None:
    started: list[SessionInfo] = []
    app.bridge.session_started.connect(started.append)
    await app.running_program(program_text=WALK_PROGRAM)
    assert app.bridge.is_connected
    (info,) = started
    assert info.kind is SessionKind.PROGRAM
    assert info.program is not None and info.program.name == "Test: the harness's own walk"
    assert app.window.page == "dashboard"
    assert app.world.model.state is MachineState.RUNNING  # the treadmill itself, not the app
    assert app.world.model.snapshot().speed_kmh > 0
    assert "start_or_resume" in app.trace.ops  # the trace records the writes by op

    # expect_state resolves on that state's event; samples lets records arrive.
    records: list[object] = []
    app.bridge.sample.connect(records.append)
    await app.samples(4)
    assert len(records) >= 4
    stopped = app.expect_state(SessionState.STOPPED)
    app.click(app.window.controls.stop_button)
    (event,) = await stopped
    assert event.state is SessionState.STOPPED
    await app.belt_stopped()  # returns only once the treadmill itself has stopped


@with_app()
async def test_manual_session_connects_and_the_belt_moves(app: AppHarness) -> None:
    await app.manual_session()
    assert app.bridge.session_kind is SessionKind.MANUAL
    assert app.window.dashboard.manual.isVisible()
    assert app.world.model.state is MachineState.RUNNING
    assert app.world.model.snapshot().speed_kmh > 0


@with_app()
async def test_short_session_ends_with_its_log_closed(app: AppHarness) -> None:
    await app.connect()
    log_path = await app.short_session()
    assert log_path.parent == app.sessions_dir
    log = read_session_log(log_path)
    assert log.end is not None
    assert log.header["program"]["name"] == "Test: one turnaround"  # the default program
    assert not app.window.controls.finish_button.isEnabled()  # no session any more
    await app.until(lambda: app.bridge.session_kind is SessionKind.IDLE)


@with_app()
async def test_choose_new_person_sets_the_pin_creates_and_chooses(app: AppHarness) -> None:
    model = app.window.profiles
    await app.choose_new_person("Ana", pin="2468")
    assert app.bridge.profile_name == "Ana"
    assert app.window.page == "profiles"
    assert app.window.profiles_view.profile_buttons["Ana"].isChecked()
    assert model.has_pin()
    model.profiles.verify_pin("2468")  # that PIN, not another

    app.add_people("Ben", "Cleo")
    assert [p.name for p in model.people()] == ["Ana", "Ben", "Cleo"]
    await app.choose_person("Cleo")
    assert app.bridge.profile_name == "Cleo"


@with_app()
async def test_choose_new_person_without_a_pin_sets_none(app: AppHarness) -> None:
    await app.choose_new_person("Ana")
    assert app.bridge.profile_name == "Ana"
    assert not app.window.profiles.has_pin()


# -- the way out -------------------------------------------------------------------------------


def test_leaving_the_harness_stops_the_belt_closes_the_log_then_the_world(
    loop: asyncio.AbstractEventLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ended: list[SessionEnded] = []
    order: list[str] = []

    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            await app.running_program()
            app.bridge.session_finished.connect(ended.append)
            app.window.closed.connect(lambda: order.append("window closed"))
            close_world = app.world.close

            async def recorded_close() -> None:
                order.append("world closed")
                await close_world()

            monkeypatch.setattr(app.world, "close", recorded_close)
        assert order == ["window closed", "world closed"]
        assert app.window_shut_down
        assert app.world.model.state is MachineState.STOPPED
        assert "stop" in app.trace.ops
        (end,) = ended
        assert end.closing
        assert end.log_path is not None
        assert read_session_log(end.log_path).end is not None

    run(loop, scenario())


def test_a_failing_scenario_still_stops_the_belt_and_closes_the_world(
    loop: asyncio.AbstractEventLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[bool] = []

    class Failed(Exception):
        pass

    async def scenario() -> AppHarness:
        harness = AppHarness(tmp_path)
        with pytest.raises(Failed):
            async with harness as app:
                await app.running_program()
                close_world = app.world.close

                async def recorded_close() -> None:
                    closed.append(True)
                    await close_world()

                monkeypatch.setattr(app.world, "close", recorded_close)
                raise Failed
        return harness

    app = run(loop, scenario())
    assert closed == [True]
    assert app.window_shut_down
    assert app.world.model.state is MachineState.STOPPED
