"""Every knowledge-base entry is a virtual treadmill the link copes with: driven to speed and
stopped through the real runner, the real link and real GATT over Bumble, on virtual time.

The deviations that change what a belt does each have their own test here too: with the
knowledge base's entry (the link copes) and, where it can be, without it (the safety loop
catches what the link does not know).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path
from typing import Any

import pytest

from protocols import life_fitness
from protocols.ftms import ResultCode
from tests.helpers.ftms_client import run
from tests.helpers.session import Scenario, program, session
from treadctl.devices.deviations import Deviations
from treadctl.devices.knowledge import DeviceIdentity, KnowledgeBase, MatchRules
from treadctl.devices.settings import DeviceSettings, DeviceSettingsSource
from treadctl.limits import Limits
from treadctl.link import Connected, MalformedData, Sample, TrainingStatusChanged, VendorStatus
from treadctl.program import Program
from treadctl.safety import NoticeKind, Phase, StopReason
from treadctl.session import NoticeRaised
from treadctl.virtual.quirks import QUIRK_PROFILES, Quirks
from treadctl.virtual.treadmill import MachineState

WALK = program(
    """
name = "Walk"

[[steps]]
label = "Walk"
direction = "forward"
speed = "4 km/h"
duration = "120 s"
"""
)
WALK_KMH = 4.0
#: The virtual treadmill's address (VirtualWorld's default).
ADDRESS = "F0:00:00:00:00:01"
#: Profiles whose belt cannot reach a speed the app asks for: each has its own test below.
NOT_DRIVEN: dict[str, str] = {
    "no-ranges": "without a speed range the link offers no speed control",
    "xterra-t85": "its belt ignores speed commands",
    "never-final": "no record of it ever completes",
    "domyos-ts100": "its deck stands at 15 %, above the default caps: the belt never starts",
}


def notices(scn: Scenario, kind: NoticeKind) -> list[NoticeRaised]:
    return [e for e in scn.events.of(NoticeRaised) if e.notice.kind is kind]


def matched_by_name(entry_id: str) -> bool:
    """Whether the entry's virtual treadmill is matched by its advertised name alone (the
    others need Device Information, which the link does not read yet)."""
    entry = KnowledgeBase.builtin().get(entry_id)
    return entry.specificity(DeviceIdentity(name=entry.virtual_name)) is not None


async def drive_to_speed_and_stop(scn: Scenario) -> None:
    """The belt reaches the walk's speed (within one of its speed steps), then the session
    is finished as the user would and the belt is seen still."""
    step = scn.world.model.spec.speed_increment_kmh
    await scn.until(lambda: scn.belt.speed_kmh >= WALK_KMH - step - 0.011, 60.0, "at speed")
    assert scn.belt.speed_kmh <= WALK_KMH + 0.011, "faster than asked"
    await scn.run_for(15.0)  # it stays there: nothing stops it, no alarm
    assert scn.belt.state is MachineState.RUNNING
    assert notices(scn, NoticeKind.BELT_NOT_FOLLOWING) == []
    log = await scn.finish()
    assert log.end is not None and log.end["reason"] == "stopped"
    assert scn.belt.state is not MachineState.RUNNING
    # Seen still means at most STILL_KMH measured; the belt coasts the last hundredths.
    await scn.until(lambda: scn.belt.speed_kmh == 0.0, 5.0, "still")


@pytest.mark.parametrize("quirks", sorted(set(QUIRK_PROFILES) - set(NOT_DRIVEN)))
def test_every_profile_is_driven_to_speed_and_stopped(quirks: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks=quirks) as scn:
            entry = scn.link.device_entry
            if quirks == "standard":
                assert entry is None
            elif matched_by_name(quirks):
                # Advertised as the real device: the link matched its entry by name.
                assert entry is not None and entry.id == quirks
            await drive_to_speed_and_stop(scn)

    run(scenario)


# --- (1) speed commands read as mph whatever the console shows ---------------------------------


def test_a_treadmill_reading_mph_is_sent_mph_when_its_entry_says_so(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="horizon-7-0at") as scn:
            assert scn.link.deviations.speed_command_unit == "mph"
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at speed")
            # 4 km/h went out as 2.48 (mph, rounded down): the belt runs 3.99, shown 4.0.
            assert scn.trace.speeds_sent()[-1] == 2.48
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_unknown_a_treadmill_reading_mph_is_stopped_by_the_divergence_alarm(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with session(
            tmp_path, WALK, quirks="horizon-7-0at", knowledge=KnowledgeBase()
        ) as scn:
            assert scn.link.device_entry is None
            await scn.until(
                lambda: bool(notices(scn, NoticeKind.BELT_NOT_FOLLOWING)), 90.0, "alarmed"
            )
            message = notices(scn, NoticeKind.BELT_NOT_FOLLOWING)[0].notice.message
            assert "×1.6" in message and "read the app's km/h as mph" in message
            assert scn.runner.governor.stop_reason is StopReason.BELT_NOT_FOLLOWING
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 30.0, "stopped")
            assert scn.belt.state is not MachineState.RUNNING
            log = await scn.finish()
            logged = [n for n in log.of_kind("notice") if n["notice"] == "belt_not_following"]
            assert logged and logged[0]["divergence"] == "above" and "×1.6" in logged[0]["message"]

    run(scenario)


# --- detected at run time ----------------------------------------------------------------------


def test_a_treadmill_without_ranges_is_never_moved_and_still_stopped(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="no-ranges") as scn:
            assert scn.link.info is not None and not scn.link.info.can_set_speed
            assert scn.link.observed == {"has_ranges": False}
            await scn.run_for(10.0)
            assert scn.belt.state is MachineState.STOPPED and scn.belt.speed_kmh == 0.0
            assert "start_or_resume" not in scn.trace.ops()
            scn.world.treadmill.console_start()  # someone starts it at the console
            await scn.run_for(2.0)
            assert notices(scn, NoticeKind.STARTED_AT_CONSOLE)
            await scn.finish()  # ending the session stops the belt that moves
            assert scn.trace.ops()[-1] == "stop"
            assert scn.belt.state is MachineState.STOPPED

    run(scenario)


# --- (2) speeds in the console's unit, both ways: a per-treadmill setting ----------------------


def console_in_km(entry_id: str) -> Quirks:
    """The virtual treadmill of ``entry_id`` with its console set to km (the entry's own
    deviations, without the virtual unit's miles)."""
    entry = KnowledgeBase.builtin().get(entry_id)
    return Quirks(entry_id, entry.description, entry.deviations, entry.virtual_name)


def said(**by_address: DeviceSettings) -> DeviceSettingsSource:
    return lambda address, _name: by_address.get(address, DeviceSettings())


def test_a_console_in_miles_is_assumed_when_nothing_was_said(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="tm4800") as scn:  # its console: miles
            assert scn.link.info is not None
            assert any("assumed miles" in n for n in scn.link.info.notes)
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at speed")
            assert scn.trace.speeds_sent()[-1] == 2.48  # mph
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_a_console_said_to_be_in_km_is_sent_km(tmp_path: Path) -> None:
    async def scenario() -> None:
        settings = said(**{ADDRESS: DeviceSettings("km")})
        async with session(
            tmp_path, WALK, quirks=console_in_km("tm4800"), device_settings=settings
        ) as scn:
            assert scn.link.deviations.speed_command_unit == "kmh"
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at speed")
            assert scn.trace.speeds_sent()[-1] == 4.0
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_a_console_in_km_wrongly_assumed_in_miles_only_ever_runs_slower(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks=console_in_km("tm4800")) as scn:
            await scn.run_for(60.0)
            # 4 km/h went out as 2.48, read as km/h (the belt's 0.1 grid: 2.5): slower.
            assert max(b.speed_kmh for _, b in scn.belt_log) <= 2.5 + 0.011
            await scn.finish()
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 10.0, "still")

    run(scenario)


def test_any_treadmill_said_to_be_in_miles_is_spoken_mph(tmp_path: Path) -> None:
    # Not in the knowledge base, speaking mph both ways: nothing on the wire tells (measured
    # and commanded agree at 1.609 times the belt's real speed); the person's setting does.
    mph = Quirks(
        "standard-in-miles",
        "A treadmill nobody knows, console in miles",
        Deviations(speed_command_unit="mph", speed_data_unit="mph"),
    )

    async def scenario() -> None:
        settings = said(**{ADDRESS: DeviceSettings("miles")})
        async with session(tmp_path, WALK, quirks=mph, device_settings=settings) as scn:
            assert scn.link.device_entry is None
            await drive_to_speed_and_stop(scn)

    run(scenario)


# --- (4) KingSmith PH4 / X21 over FTMS ---------------------------------------------------------


def test_kingsmith_x21_retries_within_its_bounds_and_asks_control_again_after_a_pause(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="kingsmith-x21") as scn:
            entry = scn.link.device_entry
            assert entry is not None and entry.id == "kingsmith-x21"
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at speed")
            writes = scn.trace.writes()
            # Control was refused twice, then granted; speeds were refused during the start-up
            # and sent again within its bound.
            controls = [w["result"] for w in writes if w["op"] == "request_control"]
            assert controls[:3] == ["control_not_permitted"] * 2 + ["success"]
            start_t = next(w["clock"] for w in writes if w["op"] == "start_or_resume")
            refused = [
                w["clock"]
                for w in writes
                if w["op"] == "set_target_speed" and w["result"] == "control_not_permitted"
            ]
            assert refused and max(refused) - start_t < 2.5 + 1.0
            # Samples arrive although every record says "no speed" in its flags.
            await scn.run_for(1.0)
            last = [e for e in scn.link_events if isinstance(e, Sample)][-1]
            assert last.speed_kmh is not None and last.speed_kmh >= 3.9
            assert last.raw[-1][0] & 1  # as sent: bit 0 set
            # A pause takes control away silently: the resume asks for it first.
            scn.runner.pause()
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 30.0, "paused")
            since = scn.now
            scn.runner.start()
            await scn.until(lambda: scn.belt.speed_kmh >= 0.5, 30.0, "resumed")
            ops = scn.trace.ops(since)
            assert ops[0] == "request_control" and "start_or_resume" in ops
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_unknown_kingsmith_x21_never_runs_without_control_of_it(tmp_path: Path) -> None:
    # Without its entry no record ever completes (its speed is where the flags say none is):
    # with nothing measured the Start waits for a record, and gives up after the watchdog time
    # without a command (nothing moves).
    async def scenario() -> None:
        async with session(
            tmp_path, WALK, quirks="kingsmith-x21", knowledge=KnowledgeBase()
        ) as scn:
            await scn.run_for(30.0)
            assert scn.runner.governor.phase is Phase.STOPPED
            assert all(b.speed_kmh == 0.0 for _, b in scn.belt_log)
            assert not [e for e in scn.link_events if isinstance(e, Sample)]
            assert "start_or_resume" not in scn.trace.ops()
            (said,) = notices(scn, NoticeKind.RESUME_REQUIRED)
            assert "the belt was not started" in said.notice.message

    run(scenario)


# --- (5) incline: whole-percent steps, wide ranges, level tables, fixed decks ------------------


def hill(incline: str) -> Program:
    return program(
        f"""
name = "Hill"

[[steps]]
label = "Up"
direction = "forward"
speed = "4 km/h"
incline = "{incline}"
duration = "120 s"
"""
    )


def incline_writes(scn: Scenario) -> list[dict[str, object]]:
    return [w for w in scn.trace.writes() if w["op"] == "set_target_inclination"]


def by_name(entry_id: str) -> KnowledgeBase:
    """A knowledge base holding only ``entry_id``, matched by its virtual treadmill's name."""
    entry = KnowledgeBase.builtin().get(entry_id)
    rules = (MatchRules(name_prefixes=(entry.virtual_name or "Virtual Treadmill",)),)
    return KnowledgeBase((dataclasses.replace(entry, match=rules),))


def test_a_treadmill_taking_whole_percents_is_sent_whole_percents(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, hill("2.5 %"), quirks="sole-f85") as scn:
            await scn.until(lambda: scn.belt.incline_pct >= 2.0, 60.0, "up")
            await scn.run_for(10.0)
            sent = [w["value"] for w in incline_writes(scn)]
            assert sent and all(float(v).is_integer() for v in sent)  # type: ignore[arg-type]
            assert all(w["result"] == "success" for w in incline_writes(scn))
            assert scn.belt.incline_pct == 2.0  # 2.5 %, towards flat
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_unknown_a_refused_half_percent_stops_the_belt(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(
            tmp_path, hill("2.5 %"), quirks="sole-f85", knowledge=KnowledgeBase()
        ) as scn:
            await scn.until(
                lambda: scn.runner.governor.stop_reason is StopReason.COMMAND_FAILED, 60.0, "failed"
            )
            assert any(w["result"] == "invalid_parameter" for w in incline_writes(scn))
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 30.0, "stopped")

    run(scenario)


def test_a_40_percent_deck_never_goes_beyond_the_person_s_limit(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, hill("15 %"), quirks="adidas") as scn:
            info = scn.link.info
            assert info is not None and info.inclination_range is not None
            assert info.inclination_range.max_pct == 40.0
            assert info.inclination_range.min_pct == -6.0
            await scn.run_for(60.0)
            cap = scn.runner.governor.limits.forward_max_incline_pct
            assert max(b.incline_pct for _, b in scn.belt_log) <= cap + 0.01
            assert all(float(w["value"]) <= cap for w in incline_writes(scn))  # type: ignore[arg-type]
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_a_level_table_is_sent_codes(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, hill("3 %"), quirks="3g-pro") as scn:
            await scn.until(lambda: scn.belt.incline_pct >= 3.0, 60.0, "up")
            assert incline_writes(scn)[-1]["value"] == 4.6  # 0x2E: level 3
            await scn.run_for(2.0)
            last = [e for e in scn.link_events if isinstance(e, Sample)][-1]
            assert last.incline_pct == 3.0
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_a_level_table_is_read_back_from_the_data(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(
            tmp_path, hill("3 %"), quirks="iconcept-t01", knowledge=by_name("iconcept-t01")
        ) as scn:
            await scn.until(lambda: scn.belt.incline_pct >= 3.0, 60.0, "up")
            assert incline_writes(scn)[-1]["value"] == 20.0  # 0x00C8: level 3
            await scn.run_for(2.0)
            last = [e for e in scn.link_events if isinstance(e, Sample)][-1]
            assert last.record.inclination_pct == 20.0 and last.incline_pct == 3.0
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_a_fixed_deck_is_never_commanded_and_counts_as_that_steep(tmp_path: Path) -> None:
    async def scenario() -> None:
        # A person whose forward incline limit an admin raised to 15 %: the deck is within it.
        steep = Limits(forward_max_incline_pct=15.0)
        async with session(
            tmp_path,
            hill("2 %"),
            quirks="domyos-ts100",
            knowledge=by_name("domyos-ts100"),
            limits=steep,
        ) as scn:
            info = scn.link.info
            assert info is not None and info.inclination_range is None
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at speed")
            assert incline_writes(scn) == []
            samples = [e for e in scn.link_events if isinstance(e, Sample)]
            assert samples and all(s.incline_pct == 15.0 for s in samples)
            assert all(s.record.inclination_pct is None for s in samples)
            assert scn.link.observed == {"reports_incline": False, "fixed_incline_pct": 15.0}
            await drive_to_speed_and_stop(scn)

    run(scenario)


@pytest.mark.parametrize("known", [True, False], ids=["known", "unknown"])
def test_a_fixed_deck_above_every_cap_never_starts(known: bool, tmp_path: Path) -> None:
    # Unknown, its one-level inclination range (15-15 %) says the deck stands there.
    knowledge = by_name("domyos-ts100") if known else KnowledgeBase()

    async def scenario() -> None:
        async with session(
            tmp_path, hill("2 %"), quirks="domyos-ts100", knowledge=knowledge
        ) as scn:
            await scn.run_for(10.0)
            assert scn.link.deviations.fixed_incline_pct == 15.0
            assert all(b.speed_kmh == 0.0 for _, b in scn.belt_log)
            assert "start_or_resume" not in scn.trace.ops()
            (said,) = notices(scn, NoticeKind.OVER_INCLINE)
            assert "The deck stands at 15.0 %, above your limits" in said.notice.message

    run(scenario)


# --- (8) no incline in the data: the commanded incline is never a reading ----------------------


def test_a_treadmill_reporting_no_incline_gets_no_made_up_one(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, hill("2 %"), quirks="no-incline-data") as scn:
            await scn.until(lambda: scn.belt.incline_pct >= 2.0, 60.0, "up")
            await scn.run_for(2.0)
            samples = [e for e in scn.link_events if isinstance(e, Sample)]
            assert samples and all(s.incline_pct is None for s in samples)
            assert scn.link.observed == {"reports_incline": False}
            await drive_to_speed_and_stop(scn)

    run(scenario)


# --- (7) Start re-sent every second or the belt stops ------------------------------------------


def test_a_keep_alive_start_keeps_the_belt_running_and_never_follows_a_stop(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="xterra-trx3500") as scn:
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at speed")
            await scn.run_for(30.0)
            assert scn.belt.state is MachineState.RUNNING  # kept alive for 30 s and more
            since = scn.now - 10.0
            keepalives = [w for w in scn.trace.writes(since) if w["op"] == "start_or_resume"]
            assert len(keepalives) >= 9 and all(w["result"] == "success" for w in keepalives)
            # The app stops the belt: not one Start after the stop.
            scn.runner.pause()
            await scn.until(lambda: scn.belt.state is MachineState.PAUSED, 10.0, "paused")
            paused_at = scn.now
            await scn.run_for(20.0)
            assert "start_or_resume" not in scn.trace.ops(paused_at)
            # Resumed by the person, kept alive again; stopped at the console: no Start after.
            scn.runner.start()
            await scn.until(lambda: scn.belt.state is MachineState.RUNNING, 15.0, "running")
            await scn.run_for(5.0)
            scn.world.treadmill.console_stop()
            stopped_at = scn.now
            await scn.run_for(20.0)
            assert "start_or_resume" not in scn.trace.ops(stopped_at)
            assert scn.world.model.state is MachineState.STOPPED and scn.belt.speed_kmh == 0.0

    run(scenario)


def test_unknown_the_belt_stops_by_itself_and_the_session_with_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(
            tmp_path, WALK, quirks="xterra-trx3500", knowledge=KnowledgeBase()
        ) as scn:
            await scn.until(
                lambda: scn.runner.governor.stop_reason is StopReason.CONSOLE_STOP, 30.0, "stop"
            )
            await scn.run_for(10.0)
            assert scn.belt.state is MachineState.STOPPED and scn.belt.speed_kmh == 0.0
            assert scn.trace.ops().count("start_or_resume") == 1

    run(scenario)


# --- (12) speed control silently ignored -------------------------------------------------------


def test_a_treadmill_known_to_ignore_speed_is_never_started(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(
            tmp_path, WALK, quirks="xterra-t85", knowledge=by_name("xterra-t85")
        ) as scn:
            info = scn.link.info
            assert info is not None and not info.can_set_speed and info.can_set_incline
            assert any("ignore speed commands" in n for n in info.notes)
            await scn.run_for(20.0)
            assert scn.runner.governor.stop_reason is StopReason.COMMAND_FAILED
            assert all(b.speed_kmh == 0.0 for _, b in scn.belt_log)
            assert "start_or_resume" not in scn.trace.ops()

    run(scenario)


def test_unknown_a_treadmill_ignoring_speed_is_stopped_and_named(tmp_path: Path) -> None:
    async def scenario() -> None:
        # Advertised as a FitShow module: the generic FitShow entry, not the T85's (its
        # Device Information is not read yet), so the link drives it as any FitShow.
        async with session(tmp_path, WALK, quirks="xterra-t85") as scn:
            entry = scn.link.device_entry
            assert entry is not None and entry.id == "fitshow"
            await scn.until(
                lambda: bool(notices(scn, NoticeKind.BELT_NOT_FOLLOWING)), 90.0, "alarmed"
            )
            message = notices(scn, NoticeKind.BELT_NOT_FOLLOWING)[0].notice.message
            assert "seems to ignore the app's speed commands" in message
            assert max(b.speed_kmh for _, b in scn.belt_log) <= scn.world.model.spec.min_speed_kmh
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 30.0, "stopped")

    run(scenario)


# --- (3) (11) (14) (15): data the link reads as far as it can, and says why when it cannot ----


def test_records_shorter_than_their_flags_still_give_their_speed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="matrix-ctm") as scn:
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at speed")
            await scn.run_for(1.0)
            last = [e for e in scn.link_events if isinstance(e, Sample)][-1]
            assert last.record.truncated and last.speed_kmh is not None and last.speed_kmh >= 3.9
            assert last.record.elapsed_time_s is None  # cut off: no reading
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_a_short_training_status_read_is_reported_and_the_connect_goes_on(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="domyos-tc") as scn:
            assert scn.link.observed == {"short_training_status": True}
            info = scn.link.info
            assert info is not None and any(
                "Training Status read is short" in n for n in info.notes
            )
            first = next(e for e in scn.link_events if isinstance(e, TrainingStatusChanged))
            assert first.status.status is None  # no status in it: not made up
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_records_that_never_complete_are_said_and_the_belt_is_stopped(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="never-final") as scn:
            await scn.run_for(20.0)
            why = [e for e in scn.link_events if isinstance(e, MalformedData)]
            assert why and "records never complete" in why[0].error
            assert scn.link.observed == {"never_final_record": True}
            assert not [e for e in scn.link_events if isinstance(e, Sample)]
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 30.0, "stopped")
            assert scn.runner.governor.phase is Phase.STOPPED

    run(scenario)


def test_elapsed_time_in_the_energy_field_is_not_taken_as_energy(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(
            tmp_path, WALK, quirks="precor-daemon", knowledge=by_name("precor-daemon")
        ) as scn:
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at speed")
            await scn.run_for(20.0)
            last = [e for e in scn.link_events if isinstance(e, Sample)][-1]
            assert last.record.total_energy_kcal == last.record.elapsed_time_s
            assert last.energy_kcal is None
            await drive_to_speed_and_stop(scn)

    run(scenario)


# --- (9) a console Start key that asks the app to start the belt -------------------------------


def test_a_treadmill_asking_to_be_started_is_never_started_by_the_app(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="toputure-tp1", start=False) as scn:
            entry = scn.link.device_entry
            assert entry is not None and entry.id == "toputure-tp1"
            scn.world.treadmill.console_start()  # "02 01": start me
            await scn.run_for(10.0)
            assert "start_or_resume" not in scn.trace.ops()
            assert all(b.speed_kmh == 0.0 for _, b in scn.belt_log)
            scn.runner.start()  # the person's Start, in the app
            await drive_to_speed_and_stop(scn)

    run(scenario)


# --- (6) an unlock before control, and Request Control twice ------------------------------------


def test_an_unlock_write_comes_before_control(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="ypoo-mini-pro") as scn:
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at speed")
            unlock = [r for r in scn.trace.records if r["kind"] == "vendor_write"]
            assert [r["value"] for r in unlock] == ["0100000308000209"]
            first_write = scn.trace.writes()[0]
            assert unlock[0]["clock"] <= first_write["clock"]
            # The first Request Control went unanswered, the second was granted.
            controls = [w["result"] for w in scn.trace.writes() if w["op"] == "request_control"]
            assert controls[:2] == ["ignored", "success"]
            await drive_to_speed_and_stop(scn)

    run(scenario)


@pytest.mark.parametrize("quirks", ["merach-mrk-t", "wellfit"])
def test_unknown_control_never_comes_and_nothing_moves(quirks: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks=quirks, knowledge=KnowledgeBase()) as scn:
            await scn.run_for(30.0)
            assert scn.runner.governor.stop_reason is StopReason.COMMAND_FAILED
            assert all(b.speed_kmh == 0.0 for _, b in scn.belt_log)
            assert "start_or_resume" not in scn.trace.ops()

    run(scenario)


# --- (13) a FitShow module's vendor status -----------------------------------------------------


def test_a_fitshow_safety_key_told_only_on_its_vendor_service_latches_the_session(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        # Unknown to the knowledge base: the vendor service is found in the GATT table.
        async with session(tmp_path, WALK, quirks="fitshow", knowledge=KnowledgeBase()) as scn:
            await scn.until(lambda: scn.belt.speed_kmh >= 3.5, 60.0, "at speed")
            assert scn.link.observed.get("fitshow_vendor_status") is True
            assert scn.world.treadmill.pull_safety_key() == ResultCode.SUCCESS
            await scn.until(
                lambda: scn.runner.governor.stop_reason is StopReason.SAFETY_KEY, 5.0, "latched"
            )
            told = [e.problem for e in scn.link_events if isinstance(e, VendorStatus)]
            assert "safety key removed" in told
            await scn.run_for(10.0)
            assert scn.belt.speed_kmh == 0.0
            assert "start_or_resume" not in scn.trace.ops()[-3:]

    run(scenario)


def test_a_fitshow_error_code_stops_the_belt_with_an_alarm_naming_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="fitshow") as scn:
            await scn.until(lambda: scn.belt.speed_kmh >= 3.5, 60.0, "at speed")
            scn.world.treadmill.report_error(3)
            await scn.until(
                lambda: scn.runner.governor.stop_reason is StopReason.TREADMILL_ERROR,
                5.0,
                "latched",
            )
            (alarm,) = notices(scn, NoticeKind.TREADMILL_ERROR)
            assert "E03: speed sensor fault" in alarm.notice.message
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 30.0, "still")
            assert scn.runner.governor.stop_confirmed

    run(scenario)


def test_a_damaged_fitshow_packet_is_reported_and_skipped(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="fitshow", start=False) as scn:
            await scn.run_for(2.0)
            # The link's own handler, as Bleak calls it, with a packet whose checksum is off.
            scn.link._on_vendor_status(None, bytearray.fromhex("0251065803"))  # type: ignore[arg-type]
            bad = [
                e
                for e in scn.link_events
                if isinstance(e, MalformedData) and e.characteristic == "fitshow_status"
            ]
            assert bad and "checksum" in bad[0].error

    run(scenario)


# --- (10) Life Fitness: a setup before any data -------------------------------------------------


def setup_writes(scn: Scenario, since: float = -math.inf) -> list[dict[str, Any]]:
    """The Life Fitness setup's writes the virtual console received since ``since``."""
    return [
        r
        for r in scn.trace.records
        if r["kind"] == "vendor_write"
        and r["characteristic"] in life_fitness.SETUP_CHARACTERISTICS
        and r["clock"] >= since
    ]


def as_written(writes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(w["characteristic"], w["value"]) for w in writes]


SETUP_AS_WRITTEN = [(s.characteristic, s.value.hex()) for s in life_fitness.SETUP]


def test_the_life_fitness_setup_is_written_before_control_and_before_any_data(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="life-fitness") as scn:
            entry = scn.link.device_entry
            assert entry is not None and entry.id == "life-fitness"
            writes = setup_writes(scn)
            assert as_written(writes) == SETUP_AS_WRITTEN
            # Nothing of the person: names and email are empty strings (their terminator).
            told = dict(as_written(writes))
            for uuid in (
                life_fitness.FIRST_NAME_UUID,
                life_fitness.LAST_NAME_UUID,
                life_fitness.EMAIL_UUID,
            ):
                assert told[uuid] == "00"
            # The peers' waits, on the link's clock.
            gaps = [b["clock"] - a["clock"] for a, b in itertools.pairwise(writes)]
            assert gaps == pytest.approx([s.after_s for s in life_fitness.SETUP[1:]])
            # All of it before the link said connected, before control, before any data.
            done = writes[-1]["clock"]
            (connected,) = [e for e in scn.link_events if isinstance(e, Connected)]
            assert connected.t >= done
            assert scn.trace.writes() and scn.trace.writes()[0]["clock"] >= done
            assert scn.trace.writes()[0]["op"] == "request_control"
            # (The console's first record may share the instant of the last write: after it.)
            samples = [e for e in scn.link_events if isinstance(e, Sample)]
            assert samples and samples[0].t >= done
            info = scn.link.info
            assert info is not None
            assert any("setup was written (13 of 13 writes" in n for n in info.notes)
            await drive_to_speed_and_stop(scn)

    run(scenario)


def test_the_life_fitness_setup_is_written_again_after_a_reconnect(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="life-fitness", start=False) as scn:
            await scn.run_for(2.0)
            mark, dropped = len(scn.link_events), scn.now
            await scn.world.treadmill.drop_link()
            await scn.reconnected_with_setup(mark)
            again = setup_writes(scn, dropped)
            assert as_written(again) == SETUP_AS_WRITTEN
            await scn.run_for(2.0)
            # The console sent nothing until it was set up again, then its data came back.
            samples = [e for e in scn.link_events[mark:] if isinstance(e, Sample)]
            assert samples and samples[0].t >= again[-1]["clock"]
            assert again[0]["clock"] - dropped >= 2.0  # the status subscription's wait first

    run(scenario)


def test_unknown_a_life_fitness_console_sends_nothing_and_nothing_starts(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, quirks="life-fitness", knowledge=KnowledgeBase()) as scn:
            assert scn.link.device_entry is None
            await scn.run_for(30.0)
            assert setup_writes(scn) == []
            assert not [e for e in scn.link_events if isinstance(e, Sample)]
            # Nothing measured, so the Start waited for a first record and gave up after the
            # watchdog time: no command went out, nothing moved (it used to start blind).
            assert scn.runner.governor.phase is Phase.STOPPED
            (gave_up,) = notices(scn, NoticeKind.RESUME_REQUIRED)
            assert "No data from the treadmill for 3 s: the belt was not started" in (
                gave_up.notice.message
            )
            ops = scn.trace.ops()
            assert "start_or_resume" not in ops and "set_target_speed" not in ops
            assert all(b.speed_kmh == 0.0 for _, b in scn.belt_log)

    run(scenario)
