"""A heart-rate strap attached to and detached from a session runner (real GATT, ManualClock)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.ftms_client import run
from tests.helpers.session import program, session
from treadctl.link import BleakBackends, HeartRateLink
from treadctl.session import Progress

WALK = program(
    """
name = "Walk"

[[steps]]
label = "Walk"
direction = "forward"
speed = "3 km/h"
duration = "5 min"
"""
)

STRAP_BPM = 131
HAND_GRIP_BPM = 88


def test_a_detached_strap_no_longer_counts(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, with_strap=True) as scn:
            assert scn.world.strap is not None and scn.world.strap_address is not None
            scn.world.strap.bpm = STRAP_BPM
            scn.world.treadmill.heart_rate_bpm = HAND_GRIP_BPM
            strap = HeartRateLink(
                scn.clock,
                backends=BleakBackends.of(scn.world),
            )
            await strap.connect(scn.world.strap_address)
            scn.runner.attach_heart_rate(strap)

            def last_hr() -> int | None:
                progress = scn.events.of(Progress)
                return progress[-1].heart_rate_bpm if progress else None

            await scn.until(lambda: last_hr() == STRAP_BPM, 10.0, "on the strap's heart rate")
            scn.runner.detach_heart_rate(strap)
            mark = scn.events.mark()
            await scn.until(lambda: bool(scn.events.of(Progress, mark)), 5.0, "a sample")
            # At once, not after the 5 s a strap reading stays fresh for.
            assert scn.events.of(Progress, mark)[0].heart_rate_bpm == HAND_GRIP_BPM
            await scn.run_for(3.0)  # the strap keeps sending: none of it reaches the runner
            assert {p.heart_rate_bpm for p in scn.events.of(Progress, mark)} == {HAND_GRIP_BPM}
            scn.runner.detach_heart_rate(strap)  # twice: harmless
            await strap.disconnect()

    run(scenario)
