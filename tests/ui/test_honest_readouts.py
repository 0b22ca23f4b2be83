"""What the screen says is what the treadmill says: stale data, a lost link, a belt moved at
the console, the safety key, pause against stop — and the count before the belt moves."""

from __future__ import annotations

import dataclasses

from tests.ui.harness import AppHarness, with_app
from treadctl.core import NoticeKind, SessionState, StopReason
from ui import format


@with_app()
async def test_readouts_go_stale_after_silence_and_live_again(app: AppHarness) -> None:
    await app.running_program()
    dash = app.window.dashboard
    await app.until(lambda: dash.speed.text() not in (format.DASH, "0.0"))
    assert not dash.stale
    console = app.window.console
    assert console is not None
    watchdog = app.expect_notice(NoticeKind.WATCHDOG)
    console.silent.setChecked(True)
    await watchdog
    dash.check_freshness()
    assert dash.stale
    assert dash.speed.text() == format.DASH and dash.incline.value == format.DASH
    assert dash.target.text() == ""
    assert dash.status.text().startswith("No data from the treadmill for ")
    assert dash.speed.property("stale") is True
    console.silent.setChecked(False)
    await app.samples(1)
    assert not dash.stale and dash.speed.text() != format.DASH
    assert dash.speed.property("stale") is False


@with_app()
async def test_a_lost_link_turns_the_header_red_and_the_readouts_stale(app: AppHarness) -> None:
    await app.running_program()
    console = app.window.console
    assert console is not None
    lost = app.expect_notice(NoticeKind.LINK_LOST)
    app.click(console.buttons["drop_link"])
    await lost
    status = app.window.link_status
    assert status.property("state") == "lost" and "connection lost" in status.text()
    assert app.window.dashboard.stale
    assert "No connection" in app.window.dashboard.status.text()
    await app.expect(app.bridge.reconnected)
    assert status.property("state") == "connected"


@with_app()
async def test_a_belt_started_at_the_console_shows_as_moving(app: AppHarness) -> None:
    await app.connect()
    dash = app.window.dashboard
    assert dash.pill_state == "idle"
    console = app.window.console
    assert console is not None
    app.click(console.buttons["start"])
    await app.until(lambda: dash.pill_state == "moving", app.bridge.sample)
    assert dash.state.text() == "BELT MOVING"
    assert "started at the treadmill" in dash.status.text()


@with_app()
async def test_pause_and_stop_look_different(app: AppHarness) -> None:
    await app.running_program()
    dash = app.window.dashboard
    paused = app.expect_state(SessionState.STOPPED)
    app.click(app.window.controls.pause_button)
    await paused
    await app.until(lambda: dash.pill_state == "paused", app.bridge.sample)
    assert dash.state.text().startswith("PAUSED")
    running = app.expect_state(SessionState.RUNNING)
    app.click(app.window.controls.pause_button)  # Resume
    await running
    stopped = app.expect_state(SessionState.STOPPED)
    app.click(app.window.controls.stop_button)
    await stopped
    await app.until(lambda: dash.pill_state == "stopped", app.bridge.sample)
    assert dash.state.text() == "STOPPED"
    assert "Resume" in dash.status.text()


@with_app()
async def test_the_safety_key_alarm_keeps_resume_off_until_the_key_is_back(
    app: AppHarness,
) -> None:
    await app.running_program()
    console = app.window.console
    assert console is not None
    controls = app.window.controls
    stopped = app.expect_state(SessionState.STOPPED)
    app.click(console.buttons["pull_key"])
    await stopped
    alarms = app.window.alarms
    await app.until(lambda: StopReason.SAFETY_KEY in alarms.active_kinds, app.bridge.notice)
    row = alarms.row(StopReason.SAFETY_KEY)
    assert row is not None
    assert "Put the safety key back" in row.message.text()
    assert row.ack.text() == "The key is back"
    assert controls.pause_button.text() == "Resume"
    assert not controls.pause_button.isEnabled()
    assert "safety key" in controls.pause_button.toolTip()
    # The key brakes the belt hard, but not in an instant: the pill says BELT MOVING until a
    # record shows it still.
    dash = app.window.dashboard
    await app.until(lambda: dash.state.text() == "KEY OUT", app.bridge.sample)
    # A remote's long press cannot go round it either.
    assert app.window.key_filter.resume_blocked() is not None
    console.on_insert_key()
    app.click(row.ack)
    assert controls.pause_button.isEnabled()
    running = app.expect_state(SessionState.RUNNING)
    app.click(controls.pause_button)
    await running


@with_app()
async def test_a_count_comes_before_the_belt_starts_and_a_stop_cancels_it(
    app: AppHarness,
) -> None:
    await app.connect()
    counts: list[int] = []
    app.bridge.start_countdown.connect(lambda n, what, facing: counts.append(n))
    started = app.expect(app.bridge.session_started)
    overlay_seen: list[str] = []
    app.bridge.start_countdown.connect(
        lambda n, *_: overlay_seen.append(app.window.overlay.cue_text) if n == 3 else None
    )
    app.click(app.window.program_view.start_button)
    assert app.bridge.counting_down and "start_or_resume" not in app.trace.ops
    await started
    assert counts == [3, 2, 1, 0]
    assert overlay_seen and overlay_seen[0].startswith("STARTING")
    assert app.speaker.spoken[:3] == ["Starting in 3", "2", "1"]
    await app.belt_running()
    # A stop during the count of a resume: nothing starts.
    stopped = app.expect_state(SessionState.STOPPED)
    app.click(app.window.controls.stop_button)
    await stopped
    cancelled = app.expect(app.bridge.countdown_cancelled)
    app.click(app.window.controls.pause_button)  # Resume: the count begins
    assert app.bridge.counting_down
    app.click(app.window.controls.stop_button)
    await cancelled
    assert not app.bridge.counting_down
    assert not app.window.overlay.isVisible()
    await app.samples(8)  # two seconds of the belt: nothing started it
    assert app.bridge.session_state is SessionState.STOPPED


@with_app()
async def test_ending_a_session_takes_a_second_press(app: AppHarness) -> None:
    await app.running_program()
    controls = app.window.controls
    app.click(controls.finish_button)
    assert controls.confirming_end
    assert controls.finish_button.text() == "Press again to end"
    assert app.bridge.session_active  # nothing ended yet
    finished = app.expect(app.bridge.session_finished)
    app.click(controls.finish_button)
    await finished
    assert not controls.confirming_end


@with_app()
async def test_the_summary_says_what_the_session_was_and_exports_it(app: AppHarness) -> None:
    await app.running_program()
    await app.samples(8)
    ended = await app.finish_session()
    window = app.window
    assert window.page == "summary"
    summary = window.summary
    # Ended by the person a few seconds into a 40 s program: early, and by how much.
    assert summary.headline.text().startswith("Ended early at 0:")
    assert summary.headline.text().endswith("of 0:40")
    assert summary.title.text() == "Test: one turnaround"
    assert summary.distance.value != format.DASH
    assert summary.chart.isVisible()
    written = summary.export("csv", app.tmp_path / "out.csv")
    assert written is not None and written.read_text(encoding="utf-8").startswith("time_s,")
    assert ended.log_path is not None
    # A log that lost its last minutes (a full disk) says so where the figures are.
    assert "not recorded" not in summary.headline.text()
    summary.show_session(dataclasses.replace(ended, log_missing_s=130.0))
    assert summary.headline.text().endswith(
        ". Incomplete log: 3 minutes not recorded (the disk could not be written): the figures "
        "and exports lack that part."
    )
    app.click(summary.done_button)
    assert window.page == "programs"


def test_outcome_words() -> None:
    from ui.session_summary import outcome

    assert outcome("completed", "program_end", 1800, 1800) == "Completed: 30:00"
    assert outcome("completed", "program_end", 331, 1800) == (
        "Completed early: 5:31 of 30:00 (segments skipped)"
    )
    assert outcome("stopped", "app_stop", 331, 1800) == "Ended early at 5:31 of 30:00"
    assert outcome("stopped", "app_stop", 331, None) == "Ended at 5:31"
    assert outcome("aborted", "safety_key", 331, 1800) == (
        "Stopped by a fault at 5:31 of 30:00: safety key pulled"
    )
    assert outcome("stopped", "safety_key", 60, 1800) == "Ended at 1:00 of 30:00: safety key pulled"
