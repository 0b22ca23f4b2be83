"""The treadmill link against the virtual treadmill, over real GATT through the real Bleak API.

Each scenario runs a `VirtualWorld` on a `ManualClock` in its own loop (`run`). Treadmill data
and command timeouts move only when the test advances the clock; every wait for something that
should happen is bounded by `WAIT` seconds of the loop's virtual time and fails the test when it
runs out. What the treadmill received is read from its trace (every control-point write, with
its result).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from bumble import att
from bumble.device import Connection
from bumble.gatt import Characteristic, Service

from protocols import life_fitness
from protocols.ftms import OpCode, ResultCode, StatusOp
from tests.helpers.ftms_client import WAIT, run
from tests.helpers.link import belt_reaches, linked
from treadctl.clock import ManualClock
from treadctl.devices.deviations import Deviations
from treadctl.devices.knowledge import KnowledgeBase
from treadctl.link import (
    CommandAnswered,
    CommandRefused,
    CommandTimeout,
    Connected,
    ControlLost,
    ControlUnavailable,
    Disconnected,
    MalformedData,
    NotConnected,
    Reconnected,
    Sample,
    StartCancelled,
    StatusChanged,
    TreadmillLink,
    fit_to_grid,
    op_name,
)
from treadctl.virtual.backend import bumble_uuid
from treadctl.virtual.peripheral import FtmsPeripheral
from treadctl.virtual.treadmill import MachineState, TreadmillSpec

# --- connecting -----------------------------------------------------------------------------------


def test_connect_reads_feature_and_ranges() -> None:
    async def scenario() -> None:
        async with linked() as (world, link, events, _, _clock):
            info = link.info
            assert info is not None
            assert info.address == world.treadmill_address
            assert info.speed_range is not None and info.speed_range.max_kmh == 16.0
            assert info.inclination_range is not None
            assert info.can_set_speed and info.can_set_incline and info.notes == ()
            assert events.of(Connected)[0].info == info

    run(scenario)


def test_missing_ranges_disable_controls_without_failing_the_connect() -> None:
    async def scenario() -> None:
        async with linked("no-ranges") as (_, link, _events, trace, _clock):
            assert link.info is not None
            assert not link.info.can_set_speed and not link.info.can_set_incline
            assert any("speed control disabled" in n for n in link.info.notes)
            with pytest.raises(ControlUnavailable, match="speed"):
                await link.set_target_speed(3.0)
            assert trace.writes == []  # nothing reached the treadmill
            await link.stop()  # a stop is still possible
            assert trace.ops() == ["request_control", "stop"]

    run(scenario)


def test_commands_without_a_connection_raise() -> None:
    async def scenario() -> None:
        link = TreadmillLink(ManualClock())
        with pytest.raises(NotConnected):
            await link.stop()

    run(scenario)


# --- samples --------------------------------------------------------------------------------------


def test_samples_follow_the_belt() -> None:
    async def scenario() -> None:
        async with linked(data_rate_hz=2.0) as (world, link, events, _, clock):
            await link.start_at(3.0)
            await belt_reaches(world, clock, 3.0)
            await clock.advance(1.0)
            sample = await events.next(Sample, lambda s: s.speed_kmh == 3.0)
            assert sample.distance_m is not None and sample.distance_m > 0
            assert sample.incline_pct == 0.0 and sample.elapsed_s is not None
            times = [s.t for s in events.of(Sample)]
            assert times == sorted(times)

    run(scenario)


def test_split_records_become_one_sample_each() -> None:
    async def scenario() -> None:
        async with linked("matrix") as (world, link, events, _, clock):
            await link.start_at(2.0)
            await belt_reaches(world, clock, 2.0)
            await clock.advance(2.0)
            sample = await events.next(Sample, lambda s: s.speed_kmh == 2.0)
            assert sample.distance_m is not None and sample.elapsed_s is not None
            assert not sample.record.more_data

    run(scenario)


def test_malformed_records_are_skipped_and_the_stream_goes_on() -> None:
    async def scenario() -> None:
        async with linked() as (world, _, events, _trace, clock):
            world.treadmill.faults.malformed_records = True
            await clock.advance(2.0)
            bad = await events.next(MalformedData)
            assert bad.characteristic == "treadmill_data"
            world.treadmill.faults.malformed_records = False
            mark = len(events.items)
            await clock.advance(1.0)
            await events.next(Sample, after=mark)

    run(scenario)


def test_reserved_bits_and_truncated_records_still_give_samples() -> None:
    async def scenario() -> None:
        async with linked() as (world, _, events, _trace, clock):
            world.treadmill.faults.reserved_bit_records = True
            await clock.advance(1.0)
            extra = await events.next(Sample, lambda s: s.record.reserved_flags != 0)
            assert len(extra.record.trailing) == 3 and extra.speed_kmh == 0.0
            world.treadmill.faults.reserved_bit_records = False
            world.treadmill.faults.truncated_records = True
            mark = len(events.items)
            await clock.advance(1.0)
            cut = await events.next(Sample, lambda s: s.record.truncated, after=mark)
            assert cut.speed_kmh == 0.0

    run(scenario)


# --- control --------------------------------------------------------------------------------------


def test_control_is_requested_before_the_first_command_only() -> None:
    async def scenario() -> None:
        async with linked() as (_, link, events, trace, _clock):
            assert not link.has_control
            assert await link.set_target_speed(2.0) == 2.0
            await link.set_target_inclination(1.0)
            assert trace.ops() == ["request_control", "set_target_speed", "set_target_inclination"]
            assert all(w["result"] == "success" for w in trace.writes)
            assert link.has_control
            answered = events.of(CommandAnswered)
            assert [op_name(a.request) for a in answered] == trace.ops()
            assert all(a.result == ResultCode.SUCCESS and a.error is None for a in answered)

    run(scenario)


def test_a_stop_is_written_even_when_control_is_refused() -> None:
    # Found by the safety fuzzer: after a reconnect with Request Control refused, the stop
    # never reached the treadmill at all; some treadmills take a stop without control.
    async def scenario() -> None:
        async with linked() as (world, link, _events, trace, clock):
            assert await link.start_at(2.0) == 2.0
            await belt_reaches(world, clock, 2.0)
            link._has_control = False  # as after a reconnect
            world.treadmill.faults.refuse(ResultCode.OPERATION_FAILED, [OpCode.REQUEST_CONTROL])
            await link.stop()
            assert trace.ops()[-2:] == ["request_control", "stop"]
            assert trace.writes[-1]["result"] == "success"

    run(scenario)


def test_start_at_sets_speed_starts_and_sets_again() -> None:
    async def scenario() -> None:
        async with linked() as (world, link, _events, trace, clock):
            assert await link.start_at(1.0) == 1.0
            assert trace.ops() == [
                "request_control",
                "set_target_speed",
                "start_or_resume",
                "set_target_speed",
            ]
            await belt_reaches(world, clock, 1.0)

    run(scenario)


def test_a_belt_that_ignores_speed_while_stopped_still_reaches_it() -> None:
    async def scenario() -> None:
        async with linked("fitshow") as (world, link, _events, _trace, clock):
            await link.start_at(2.5)
            await belt_reaches(world, clock, 2.5)

    run(scenario)


def test_refusal_names_op_and_result_code() -> None:
    async def scenario() -> None:
        async with linked() as (world, link, events, _trace, _clock):
            world.treadmill.faults.refuse(
                ResultCode.OPERATION_FAILED, ops=[OpCode.SET_TARGET_SPEED]
            )
            with pytest.raises(CommandRefused) as refused:
                await link.set_target_speed(3.0)
            assert refused.value.op == OpCode.SET_TARGET_SPEED
            assert refused.value.result == ResultCode.OPERATION_FAILED
            assert "0x02" in str(refused.value) and "0x04" in str(refused.value)
            last = events.of(CommandAnswered)[-1]
            assert last.result == ResultCode.OPERATION_FAILED

    run(scenario)


def test_no_answer_times_out_on_the_clock_and_control_is_asked_again() -> None:
    async def scenario() -> None:
        async with linked(command_timeout=2.0) as (world, link, _events, trace, clock):
            await link.request_control()
            world.treadmill.faults.ignore_commands(count=1)
            pending = asyncio.ensure_future(link.set_target_speed(3.0))
            await clock.advance(1.0)
            assert not pending.done()  # still within the timeout
            await clock.advance(1.5)
            with pytest.raises(CommandTimeout) as timed_out:
                await asyncio.wait_for(pending, WAIT)
            assert timed_out.value.op == OpCode.SET_TARGET_SPEED
            assert not link.has_control
            await link.set_target_speed(3.0)
            assert trace.ops()[-2:] == ["request_control", "set_target_speed"]

    run(scenario)


def test_a_command_cancelled_while_it_waits_says_so_in_its_answer_event() -> None:
    # A session ending while a command waits for its answer: the event had neither a result
    # nor an error, and the session log (which needs exactly one) failed on it.
    async def scenario() -> None:
        async with linked(command_timeout=2.0) as (world, link, events, _trace, clock):
            await link.request_control()
            world.treadmill.faults.ignore_commands(count=1)
            pending = asyncio.ensure_future(link.set_target_speed(3.0))
            await clock.advance(1.0)
            pending.cancel()
            with pytest.raises(asyncio.CancelledError):
                await pending
            last = events.of(CommandAnswered)[-1]
            assert last.result is None
            assert last.error == "SET_TARGET_SPEED cancelled before its answer"

    run(scenario)


def test_targets_are_clamped_and_put_on_the_grid_towards_slower() -> None:
    async def scenario() -> None:
        async with linked() as (_, link, _events, trace, _clock):
            assert await link.set_target_speed(30.0) == 16.0
            assert await link.set_target_speed(5.37) == 5.3
            assert await link.set_target_speed(0.1) == 0.5
            assert await link.set_target_inclination(3.7) == 3.5
            assert [w["value"] for w in trace.writes[1:]] == [16.0, 5.3, 0.5, 3.5]

    run(scenario)


@pytest.mark.parametrize(
    ("value", "low", "high", "step", "fitted"),
    [
        (6.0, 0.96, 6.43, 0.32, 5.76),  # Urevo E1L grid: never up to 6.08
        (6.08, 0.96, 6.43, 0.32, 6.08),
        (5.999999, 0.5, 16.0, 0.1, 6.0),
        (-2.75, -5.0, 15.0, 0.5, -2.5),  # inclines move towards flat
        (3.0, 0.0, 10.0, 0.0, 3.0),
    ],
)
def test_fit_to_grid(value: float, low: float, high: float, step: float, fitted: float) -> None:
    assert fit_to_grid(value, low, high, step) == fitted


def test_control_lost_is_reported_and_requested_again() -> None:
    async def scenario() -> None:
        async with linked() as (world, link, events, trace, _clock):
            await link.set_target_speed(2.0)
            world.treadmill.lose_control()
            await events.next(ControlLost)
            assert not link.has_control
            await link.set_target_speed(2.5)
            assert trace.ops()[-2:] == ["request_control", "set_target_speed"]

    run(scenario)


def test_console_actions_arrive_as_status() -> None:
    async def scenario() -> None:
        async with linked() as (world, _link, events, _trace, _clock):
            world.treadmill.console_start()
            await events.next(
                StatusChanged, lambda e: e.status.op == StatusOp.STARTED_OR_RESUMED_BY_USER
            )
            world.treadmill.pull_safety_key()
            await events.next(
                StatusChanged, lambda e: e.status.op == StatusOp.STOPPED_BY_SAFETY_KEY
            )
            assert world.model.state == MachineState.STOPPED

    run(scenario)


def test_a_start_refused_for_control_is_not_repeated_after_a_stop() -> None:
    # Found in review: the one-off "ask for control again and repeat" must not repeat a start
    # step once a stop (here learned from the console: cancel_start) came in meanwhile.
    async def scenario() -> None:
        async with linked() as (world, link, _events, trace, clock):
            await link.request_control()
            world.treadmill.faults.refuse(
                ResultCode.CONTROL_NOT_PERMITTED, ops=[OpCode.START_OR_RESUME]
            )
            world.treadmill.faults.answer_delay(1.0)
            starting = asyncio.ensure_future(link.start_at(1.0))
            for _ in range(4):
                await clock.advance(0.5)
                if trace.ops().count("start_or_resume"):
                    break
            link.cancel_start()
            world.treadmill.faults.clear()
            for _ in range(6):
                await clock.advance(0.5)
            with pytest.raises(StartCancelled):
                await asyncio.wait_for(starting, WAIT)
            assert trace.ops().count("start_or_resume") == 1
            assert world.model.state is MachineState.STOPPED

    run(scenario)


# --- quirks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("quirks", ["standard", "urevo-e1l", "fitshow", "matrix", "technogym"])
def test_each_profile_can_be_driven(quirks: str) -> None:
    async def scenario() -> None:
        async with linked(quirks) as (world, link, _events, _trace, clock):
            sent = await link.start_at(2.0)
            await belt_reaches(world, clock, sent)
            await link.stop()
            await clock.advance(5.0)
            assert world.model.state == MachineState.STOPPED

    run(scenario)


def test_kingsmith_is_recognised_by_name_and_started_first() -> None:
    # KingSmith walking pads need Start before Set Target Speed or they drop the BLE link
    # (mcdax/walkingpad-controller README); the knowledge base knows them by their name.
    async def scenario() -> None:
        async with linked("kingsmith") as (world, link, _events, trace, clock):
            assert link.device_entry is not None and link.device_entry.id == "kingsmith"
            assert link.deviations.needs_start_before_speed
            assert link.starts_before_speed
            assert link.info is not None and any("Start before" in n for n in link.info.notes)
            assert any("known device: KingSmith" in n for n in link.info.notes)
            await link.start_at(2.0)
            # Stopped first (a paused belt would resume at its old speed), then started.
            assert trace.ops()[1:] == ["stop", "start_or_resume", "set_target_speed"]
            await belt_reaches(world, clock, 2.0)
            assert link.observed == {}  # nothing learned: it was known

    run(scenario)


def knowing_the_virtual_treadmill(description: str, deviations: str) -> KnowledgeBase:
    """A knowledge base with one entry for the virtual treadmill (by its advertised name)."""
    return KnowledgeBase.parse(
        f"""
        [[device]]
        id = "virtual"
        device = "The virtual treadmill"
        certainty = "inferred"
        sources = ["this test"]
        description = "{description}"
        match = {{ name_prefixes = ["Virtual Tread"] }}
        deviations = {{ {deviations} }}
        """
    )


def test_what_the_link_applies_is_the_knowledge_base_s_data_not_a_model_name() -> None:
    # The same virtual treadmill, two knowledge bases: one that knows nothing, one whose entry
    # (for its name) says it needs Start first. Only the data differs.
    knows = knowing_the_virtual_treadmill(
        "Said to need Start before a speed.", "needs_start_before_speed = true"
    )

    async def scenario() -> None:
        async with linked(knowledge=KnowledgeBase()) as (_, link, _events, trace, _clock):
            assert link.device_entry is None and link.deviations == Deviations()
            await link.start_at(2.0)
            standard = ["request_control", "set_target_speed", "start_or_resume"]
            standard.append("set_target_speed")
            assert trace.ops() == standard
        async with linked(knowledge=knows) as (_, link, _events, trace, _clock):
            assert link.device_entry is knows.get("virtual")
            await link.start_at(2.0)
            start_first = ["request_control", "stop", "start_or_resume", "set_target_speed"]
            assert trace.ops() == start_first

    run(scenario)


def test_what_a_treadmill_turns_out_to_do_is_observed_in_the_vocabulary() -> None:
    async def scenario() -> None:
        # A belt that refuses a speed while stopped, on a treadmill nobody knows: the refusal
        # teaches start-first, and both are kept for its report.
        spec = TreadmillSpec(needs_start_before_speed=True)
        async with linked(spec=spec) as (world, link, _events, trace, clock):
            assert link.device_entry is None and link.observed == {}
            await link.start_at(2.0)
            assert link.starts_before_speed
            assert link.observed == {"needs_start_before_speed": True}
            assert link.refusals == {"set_target_speed": "operation_failed"}
            await belt_reaches(world, clock, 2.0)
            await link.stop()
            await belt_reaches(world, clock, 0.0)
            await clock.advance(1.0)  # a record of the still belt reaches the link
            await link.start_at(2.0)  # learned: started first from now on
            assert trace.ops()[-3:] == ["stop", "start_or_resume", "set_target_speed"]
        async with linked("no-ranges") as (_, link, _events, _trace, _clock):
            assert link.observed == {"has_ranges": False}
        async with linked("urevo-e1l") as (_, link, _events, _trace, _clock):
            assert link.device_entry is not None and link.device_entry.id == "urevo-e1l"
            assert link.observed == {"zero_inclination_range": True}

    run(scenario)


# --- link loss ------------------------------------------------------------------------------------


def test_link_loss_is_reported_at_once_and_reconnect_resumes_nothing() -> None:
    async def scenario() -> None:
        async with linked() as (world, link, events, trace, clock):
            await link.start_at(2.0)
            await belt_reaches(world, clock, 2.0)
            writes_before = len(trace.writes)
            await world.treadmill.drop_link()
            lost = await events.next(Disconnected)
            assert lost.expected is False
            assert not link.has_control
            await clock.advance(1.0)  # the reconnect backoff runs on the clock
            back = await events.next(Reconnected)
            assert back.info.address == world.treadmill_address
            assert len(trace.writes) == writes_before  # nothing sent on its own
            await link.stop()
            assert trace.ops()[-2:] == ["request_control", "stop"]

    run(scenario)


# --- a vendor setup before data (Life Fitness) ----------------------------------------------------


class _PatchyLifeFitness(FtmsPeripheral):
    """The life-fitness profile's console, refusing the age and serving no height."""

    def _on_life_fitness_write(self, uuid: str) -> Callable[[Connection, bytes], None]:
        write = super()._on_life_fitness_write(uuid)

        def on_write(connection: Connection, value: bytes) -> None:
            if uuid == life_fitness.AGE_UUID:
                raise att.ATT_Error(att.ErrorCode.WRITE_NOT_PERMITTED)
            write(connection, value)

        return on_write

    def _services(self, ftms_characteristics: list[Characteristic[Any]]) -> list[Service]:
        height = bumble_uuid(life_fitness.HEIGHT_UUID)
        return [
            Service(s.uuid, [c for c in s.characteristics if c.uuid != height])
            for s in super()._services(ftms_characteristics)
        ]


def test_a_refused_or_missing_setup_write_is_a_note_and_the_rest_still_goes_out() -> None:
    async def scenario() -> None:
        async with linked("life-fitness", peripheral=_PatchyLifeFitness) as (
            _world,
            link,
            events,
            _trace,
            clock,
        ):
            assert link.info is not None
            notes = link.info.notes
            assert "Life Fitness setup: it has no 0x2A8E: not written" in notes
            assert any(n.startswith("Life Fitness setup: writing the age failed") for n in notes)
            assert any("setup was written (11 of 13 writes" in n for n in notes)
            # Its waits were kept (about 10 s of the clock), and control1's 02 went out last:
            # the console's data flows.
            assert clock.now() == pytest.approx(sum(s.after_s for s in life_fitness.SETUP))
            await clock.advance(1.0)
            await events.next(Sample)

    run(scenario)


def test_a_treadmill_said_to_need_the_setup_that_serves_none_of_it_is_sent_nothing() -> None:
    # An advertised name that matches while the GATT table has none of the setup's
    # characteristics (the peers' 'LF' prefix is short): one note, nothing written, no waiting.
    knows = knowing_the_virtual_treadmill(
        "Said to need the Life Fitness setup.", "life_fitness_setup = true"
    )

    async def scenario() -> None:
        async with linked(knowledge=knows) as (_, link, events, _trace, clock):
            assert link.deviations.life_fitness_setup
            assert link.info is not None
            assert any("serves none of its characteristics" in n for n in link.info.notes)
            assert clock.now() == 0.0
            await clock.advance(1.0)
            await events.next(Sample)  # a standard treadmill: its data flows as ever

    run(scenario)
