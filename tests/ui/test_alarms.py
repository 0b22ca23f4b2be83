"""Alarms other than link loss, each raised by a real fault of the virtual treadmill: no data,
heart rate over the maximum, a refused command. Each explains itself and stays until
acknowledged; each is also spoken."""

from __future__ import annotations

from tests.ui.harness import AppHarness, with_app
from treadctl.limits import Limits
from treadctl.safety import NoticeKind, StopReason
from treadctl.session import SessionState


@with_app()
async def test_silent_treadmill_raises_the_no_data_alarm(app: AppHarness) -> None:
    await app.running_program()
    assert app.window.console is not None
    watchdog = app.expect_notice(NoticeKind.WATCHDOG)
    stopped = app.expect_state(SessionState.STOPPED)
    unseen = app.expect_notice(NoticeKind.STOP_NOT_CONFIRMED)
    app.window.console.silent.setChecked(True)
    await watchdog
    (event,) = await stopped
    assert event.stop_reason is StopReason.WATCHDOG
    await unseen  # its stop cannot be seen either: the no-data alarm says it all
    assert app.window.alarms.active_kinds == [NoticeKind.WATCHDOG]
    row = app.window.alarms.row(NoticeKind.WATCHDOG)
    assert row is not None and app.window.alarms.isVisible()
    assert "told to stop" in row.message.text()
    assert "No data" in row.details.text()
    assert any("No data" in s for s in app.speaker.spoken)
    app.window.console.silent.setChecked(False)
    await app.belt_stopped()
    await app.samples(4)  # data flows again; the alarm waits for a person
    assert app.window.alarms.row(NoticeKind.WATCHDOG) is not None
    app.click(row.ack)
    assert not app.window.alarms.isVisible()


@with_app(limits=Limits(max_heart_rate_bpm=150))
async def test_heart_rate_over_the_maximum(app: AppHarness) -> None:
    await app.running_program()
    console = app.window.console
    assert console is not None
    high = app.expect_notice(NoticeKind.HEART_RATE_HIGH)
    console.heart_rate.setValue(170)  # the hand grips report 170 bpm
    await high
    await app.until(lambda: app.window.dashboard.heart_rate.value == "170 bpm")
    row = app.window.alarms.row(NoticeKind.HEART_RATE_HIGH)
    assert row is not None
    assert "170" in row.details.text() and "150" in row.details.text()
    assert "Resume" in row.message.text()


@with_app()
async def test_refused_command_raises_the_command_failed_alarm(app: AppHarness) -> None:
    await app.manual_session()
    console = app.window.console
    assert console is not None
    failed = app.expect_notice(NoticeKind.COMMAND_FAILED)
    console.refuse.setChecked(True)
    app.click(app.window.dashboard.manual_buttons["speed_up"])
    (_notice,) = await failed
    row = app.window.alarms.row(NoticeKind.COMMAND_FAILED)
    assert row is not None and app.window.alarms.isVisible()
    assert "refused" in row.details.text() or "failed" in row.details.text()
    assert "own stop" in row.message.text()
    console.refuse.setChecked(False)
