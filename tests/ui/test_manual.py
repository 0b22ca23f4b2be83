"""Manual mode: every up/down press is a target for the runner, which the governor ramps to."""

from __future__ import annotations

from tests.ui.harness import AppHarness, with_app
from treadctl.core import SessionKind
from treadctl.limits import Direction
from treadctl.safety import NoticeKind
from treadctl.session import SessionState


@with_app()
async def test_manual_speed_incline_and_turnaround(app: AppHarness) -> None:
    await app.connect()
    await app.start_manual()
    dash = app.window.dashboard
    assert dash.manual.isVisible()
    assert not app.window.controls.skip_button.isEnabled()  # no segments to skip
    await app.belt_running()
    for _ in range(3):
        app.click(dash.manual_buttons["speed_up"])
    app.click(dash.manual_buttons["incline_up"])
    assert app.bridge.manual_target.speed_kmh == 2.5
    assert "2.5 km/h" in dash.manual_label.text() and "1 %" in dash.manual_label.text()
    # The belt follows the target through the governor's ramp, not in one jump.
    await app.until(lambda: app.world.model.snapshot().target_speed_kmh >= 2.5)
    await app.until(lambda: app.world.model.snapshot().incline_pct >= 0.9)

    turned = app.expect_notice(NoticeKind.DIRECTION_CHANGED)
    turning = app.expect_state(SessionState.TURNAROUND)
    app.click(dash.manual_buttons["turn"])
    await turning
    await app.until(app.window.overlay.isVisible, app.bridge.notice)
    await turned
    await app.until(lambda: dash.direction.direction is Direction.BACKWARD)
    assert app.bridge.manual_target.direction is Direction.BACKWARD

    ended = await app.finish_session()
    log_path = ended.log_path
    assert log_path is not None and log_path.exists()
    await app.belt_stopped()
    await app.until(lambda: dash.pill_state == "finished", app.bridge.sample)
    assert dash.state.text() == "SESSION ENDED"
    controls = app.window.controls
    assert not controls.pause_button.isEnabled()
    assert not controls.finish_button.isEnabled()
    # Back to an idle runner: STOP still has a path to the belt.
    await app.until(lambda: app.bridge.session_kind is SessionKind.IDLE)
    assert controls.stop_button.isEnabled()
