"""What a guided test's measured response says about a treadmill (pure)."""

from __future__ import annotations

import pytest

from treadctl.report.findings import (
    Finding,
    GuidedObservation,
    GuidedStep,
    guided_findings,
)


def _kinds(findings: tuple[Finding, ...]) -> list[str]:
    return [f.kind for f in findings]


def _observe(*steps: tuple[float | None, float | None], still: bool = True) -> GuidedObservation:
    return GuidedObservation(
        tuple(GuidedStep(f"step {i}", c, m) for i, (c, m) in enumerate(steps)), still
    )


def test_a_belt_that_follows() -> None:
    findings = guided_findings(_observe((0.5, 0.5), (1.5, 1.49)))
    assert _kinds(findings) == ["speed_ratio"]
    assert findings[0].values["ratio"] == pytest.approx(0.997, abs=1e-3)


def test_a_treadmill_reading_kmh_as_mph() -> None:
    # Horizon 7.0AT / JFTM T202 (qdomyos-zwift #4904): 0.5 km/h sent, 0.5 mph run.
    findings = guided_findings(_observe((0.5, 0.8), (1.5, 2.41)))
    assert _kinds(findings) == ["speed_ratio", "speed_read_as_mph"]
    assert findings[1].values["ratio"] == pytest.approx((0.8 / 0.5 + 2.41 / 1.5) / 2, abs=1e-3)
    assert "reads the app's km/h as mph" in findings[1].text


def test_the_reverse_unit_mix_up_and_a_plain_mismatch() -> None:
    assert _kinds(guided_findings(_observe((1.6, 1.0), (2.6, 1.62))))[1] == "speed_in_other_unit"
    assert _kinds(guided_findings(_observe((1.0, 1.3), (2.0, 2.6))))[1] == "speed_mismatch"
    assert _kinds(guided_findings(_observe((1.0, 1.05)))) == ["speed_ratio"]  # within 10 %


def test_speed_commands_ignored() -> None:
    # Xterra T85 with FitShow FS-BT-02 firmware 1.2.8 (hassio-ftms #26): it starts and stops,
    # but a speed command changes nothing.
    findings = guided_findings(_observe((0.5, 1.0), (1.5, 1.0)))
    assert "speed_command_ignored" in _kinds(findings)
    ignored = next(f for f in findings if f.kind == "speed_command_ignored")
    assert ignored.values["measured_kmh"] == [1.0, 1.0]


def test_a_belt_that_never_starts() -> None:
    findings = guided_findings(_observe((0.5, 0.0), (1.5, 0.0)))
    assert _kinds(findings) == ["belt_did_not_start"]


def test_no_measurement_is_not_a_ratio() -> None:
    assert _kinds(guided_findings(_observe((0.5, None), (None, None)))) == ["belt_did_not_start"]
    assert guided_findings(GuidedObservation((), True)) == ()


def test_a_stop_not_seen_and_what_failed() -> None:
    observation = GuidedObservation(
        (GuidedStep("slowest", 0.5, 0.5),),
        stop_seen_still=False,
        failures=(("SetSpeed", "no answer to SET_TARGET_SPEED within 2 s"),),
        notices=(
            ("started", "Starting at 0.5 km/h."),
            ("stop_not_confirmed", "The treadmill did not stop."),
        ),
    )
    findings = guided_findings(observation)
    assert _kinds(findings) == [
        "speed_ratio",
        "stop_not_confirmed",
        "command_failed",
        "safety_notice",  # the governor's own alarm; "started" tells nothing about the device
    ]
    assert findings[2].values == {"request": "SetSpeed", "why": observation.failures[0][1]}
    assert findings[3].values == {"notice": "stop_not_confirmed"}


def test_holds_after_the_governor_stopped_the_belt_tell_nothing() -> None:
    # Step 1 measured a km/h-as-mph belt; the governor then stopped it (belt not following):
    # step 2 is a stopped belt, not an ignored speed command.
    observation = GuidedObservation(
        (
            GuidedStep("slowest", 0.5, 0.8),
            GuidedStep("one step up", 1.5, 0.0, cut_short=True),
        ),
        stop_seen_still=True,
        notices=(("belt_not_following", "The belt does not follow the app."),),
    )
    findings = guided_findings(observation)
    assert _kinds(findings) == [
        "test_cut_short",
        "speed_ratio",
        "speed_read_as_mph",
        "safety_notice",
    ]
    assert findings[0].values == {"steps_measured": 1}
    assert "'one step up'" in findings[0].text
