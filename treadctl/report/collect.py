"""Collecting a device report: looking at a treadmill the way ``treadctl probe --report`` does.

Shape::

    collect_report(address, clock, backends, *, source, rest_seconds, guided, confirm)
     │                                                   -> dict (the report, JSON-ready)
     ├── 1. advertisement_of(address)     a scan: name, UUIDs, service and manufacturer data
     ├── 2. TreadmillLink.connect         feature, ranges, Device Information; subscribed
     ├── 3. link.survey_gatt()            the whole GATT table, readable values read
     ├── 4. at rest                       every notification for ``rest_seconds``, raw
     ├── 5. harmless requests             Request Control, then Reset: answers raw + decoded
     ├── 6. guided test (only if asked    confirm() first; then a SessionRunner (its safety
     │      and confirmed)                governor) starts the belt at the treadmill's slowest
     │                                    speed, steps it up once, stops it; measured response
     │                                    → findings (treadctl.report.findings)
     └── 7. disconnect; report_json(...)  (treadctl.report.format)

What it never does: move the belt unless ``guided`` and ``confirm()`` said yes, and then
only through a :class:`~treadctl.session.SessionRunner`, so every command is the governor's
decision (slow start, ramps, every stop watched until the belt is seen still), exactly as in
a session. Every control-point write, the guided test's too, is in the report's ``writes``.
What it never keeps: the address, the RSSI, the serial number and the system ID.

Times in the report are seconds since the collection began, on ``clock``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from protocols import ftms
from treadctl.clock import Clock
from treadctl.device_shape import (
    Advertisement,
    ControlExchange,
    DeviceShape,
    Notification,
)
from treadctl.limits import DEFAULT_LIMITS, Direction
from treadctl.link import (
    BleakBackends,
    CommandAnswered,
    CommandRejected,
    LinkError,
    LinkEvent,
    Sample,
    TreadmillInfo,
    TreadmillLink,
    op_name,
)
from treadctl.link.survey import advertisement_of
from treadctl.report.findings import (
    Finding,
    GuidedObservation,
    GuidedStep,
    guided_findings,
)
from treadctl.report.format import report_json
from treadctl.safety import Phase
from treadctl.session import (
    CommandFailedEvent,
    EndReason,
    NoticeRaised,
    SessionEvent,
    SessionRunner,
)

__all__ = [
    "DEFAULT_REST_SECONDS",
    "GUIDED_HOLD_S",
    "GUIDED_STEP_KMH",
    "MEASURE_WINDOW_S",
    "collect_report",
]

logger = logging.getLogger(__name__)

#: How long the stream at rest is recorded, by default (a few records at 1-10 Hz).
DEFAULT_REST_SECONDS = 3.0
#: How long the guided test holds each speed: the governor's ramp (0.5 km/h/s) and a belt's
#: own (0.5-1.5 km/h/s) reach a 1 km/h step well within it, and it ends before the governor's
#: own verdict on a belt that does not follow (8 s to settle, then 3 s off).
GUIDED_HOLD_S = 6.0
#: The guided test's one speed step, above the treadmill's slowest speed.
GUIDED_STEP_KMH = 1.0
#: The measured speed of a hold is the mean of the records in its last this-many seconds.
MEASURE_WINDOW_S = 1.5

Confirm = Callable[[], Awaitable[bool]]


class _Recorder:
    """Every raw notification and every control-point exchange of one link, timed from t0."""

    def __init__(self, link: TreadmillLink, t0: float) -> None:
        self.t0 = t0
        self.notifications: list[Notification] = []
        self.exchanges: list[ControlExchange] = []
        self.samples: list[Sample] = []
        self._answer: bytes | None = None
        link.add_raw_listener(self._on_raw)
        link.add_listener(self._on_event)

    def _on_raw(self, t: float, uuid: str, data: bytes) -> None:
        self.notifications.append(Notification(t - self.t0, uuid, data))
        if uuid == ftms.FITNESS_MACHINE_CONTROL_POINT_UUID:
            self._answer = data

    def _on_event(self, event: LinkEvent) -> None:
        if isinstance(event, Sample):
            self.samples.append(event)
        if not isinstance(event, CommandAnswered):
            return
        answer, self._answer = self._answer, None
        self.exchanges.append(
            ControlExchange(
                t=event.t - self.t0,
                request=op_name(event.request),
                written=bytes(event.request),
                answer=answer if event.result is not None else None,
                result=event.result.name if event.result is not None else None,
                error=event.error,
            )
        )

    def note_att_error(self, code: int | None) -> None:
        """The last exchange failed with ATT error ``code`` (known from the link's error)."""
        if self.exchanges and code is not None:
            last = self.exchanges[-1]
            self.exchanges[-1] = ControlExchange(
                last.t, last.request, last.written, last.answer, last.result, last.error, code
            )


async def collect_report(
    address: str,
    clock: Clock,
    backends: BleakBackends,
    *,
    source: str,
    rest_seconds: float = DEFAULT_REST_SECONDS,
    guided: bool = False,
    confirm: Confirm | None = None,
    created: datetime | None = None,
) -> dict[str, Any]:
    """The device report of the treadmill at ``address``; see the module docstring.

    Raises :class:`LinkError` (and its :class:`NoAdapterError`) when the treadmill cannot be
    reached; everything after the connect that fails is kept in the report instead.
    """
    start = clock.now()
    advertisement = await advertisement_of(address, clock, backends=backends)
    link = TreadmillLink(clock, backends=backends)
    recorder = _Recorder(link, start)
    info = await link.connect(address)
    try:
        services = await link.survey_gatt()
        rest_from = len(recorder.notifications)
        await clock.sleep(rest_seconds)
        rest = tuple(recorder.notifications[rest_from:])
        control = await _harmless_requests(link, recorder, info)
        guided_section: dict[str, Any] | None = None
        findings: tuple[Finding, ...] = ()
        if guided:
            guided_section, findings = await _guided(link, recorder, clock, info, confirm)
    finally:
        await link.disconnect()
    shape = DeviceShape(
        advertisement=advertisement or Advertisement(name=info.name),
        services=services,
        mtu=info.mtu,
        rest_seconds=rest_seconds,
        rest=rest,
        control=control,
        # What the knowledge base's entry says of it and what the link learned at run time,
        # in the vocabulary (docs/devices.md): what a maintainer's new entry starts from, and
        # what a treadmill shaped after this report emulates.
        deviations=MappingProxyType({**link.deviations.changed(), **link.observed}),
    )
    notes = list(info.notes)
    if advertisement is None:
        notes.append("the advertisement was not seen: only the name the connection gave is kept")
    return report_json(
        shape,
        created=created or datetime.now(UTC),
        source=source,
        link_notes=notes,
        guided=guided_section,
        findings=findings,
        writes=recorder.exchanges,
    )


async def _harmless_requests(
    link: TreadmillLink, recorder: _Recorder, info: TreadmillInfo
) -> tuple[ControlExchange, ...]:
    """Request Control, then Reset: neither moves the belt. Their answers, as they came."""
    if not info.has_control_point:
        return ()
    first = len(recorder.exchanges)
    for request in (link.request_control, link.reset):
        try:
            await request()
        except CommandRejected as error:
            recorder.note_att_error(error.att_error)
        except LinkError as error:
            logger.info("device report: %s", error)
    return tuple(recorder.exchanges[first:])


async def _guided(
    link: TreadmillLink,
    recorder: _Recorder,
    clock: Clock,
    info: TreadmillInfo,
    confirm: Confirm | None,
) -> tuple[dict[str, Any], tuple[Finding, ...]]:
    """The guided test: slowest speed, one step up, stop — through a session's governor."""
    if info.speed_range is None or not info.can_set_speed:
        return {"run": False, "reason": "the treadmill offers no speed control"}, ()
    if confirm is None or not await confirm():
        return {"run": False, "reason": "not confirmed: the belt was not moved"}, ()
    low = info.speed_range.min_kmh
    targets = (("slowest", low), ("one step up", link.fit_speed(low + GUIDED_STEP_KMH)))
    first_exchange = len(recorder.exchanges)
    first_sample = len(recorder.samples)
    notices: list[tuple[str, str]] = []
    failures: list[tuple[str, str]] = []

    def on_session(event: SessionEvent) -> None:
        if isinstance(event, NoticeRaised):
            notices.append((event.notice.kind.value, event.notice.message))
        elif isinstance(event, CommandFailedEvent):
            failures.append((type(event.command).__name__, event.error))

    runner = SessionRunner(link, clock, DEFAULT_LIMITS)
    runner.add_listener(on_session)
    started = clock.now()
    steps: list[GuidedStep] = []
    runner.set_manual(targets[0][1], 0.0, Direction.FORWARD)
    task = asyncio.ensure_future(runner.run(start=True))
    try:
        for i, (label, target) in enumerate(targets):
            if i:
                runner.set_manual(target, 0.0, Direction.FORWARD)
            await clock.sleep(GUIDED_HOLD_S)
            # Nothing here asks for a stop before the end: a stopped governor stopped on its own.
            cut = runner.governor.phase is Phase.STOPPED
            commanded = _commanded(recorder, first_exchange)
            steps.append(GuidedStep(label, commanded, _measured(recorder, clock), cut))
        runner.finish(EndReason.STOPPED)
        end = await task
    except BaseException:
        # Whatever went wrong here, the belt is told to stop (the runner's own wind-down).
        runner.finish(EndReason.ABORTED)
        with contextlib.suppress(Exception):
            await asyncio.shield(task)
        raise
    observation = GuidedObservation(
        steps=tuple(steps),
        stop_seen_still=runner.governor.stop_confirmed,
        failures=tuple(failures),
        notices=tuple(notices),
    )
    findings = guided_findings(observation)
    samples = recorder.samples[first_sample:]
    section = {
        "run": True,
        "hold_seconds": GUIDED_HOLD_S,
        "steps": [
            {
                "label": s.label,
                "commanded_kmh": s.commanded_kmh,
                "measured_kmh": s.measured_kmh,
                "cut_short": s.cut_short,
            }
            for s in steps
        ],
        "end": end.value,
        "stop_seen_still": observation.stop_seen_still,
        "notices": [{"kind": k, "message": m} for k, m in notices],
        "samples": [
            {
                "t": round(s.t - recorder.t0, 3),
                "speed_kmh": s.speed_kmh,
                "raw": [r.hex() for r in s.raw],
            }
            for s in samples
            if s.t >= started
        ],
    }
    return section, findings


def _commanded(recorder: _Recorder, first: int) -> float | None:
    """The last speed the link sent with success since the test began (km/h on the wire)."""
    for exchange in reversed(recorder.exchanges[first:]):
        if exchange.request == "set_target_speed" and exchange.result == "SUCCESS":
            request = ftms.ControlPointRequest.from_bytes(exchange.written)
            if isinstance(request, ftms.SetTargetSpeed):
                return request.kmh
    return None


def _measured(recorder: _Recorder, clock: Clock) -> float | None:
    """The mean measured speed of the records of the last MEASURE_WINDOW_S."""
    since = clock.now() - MEASURE_WINDOW_S
    speeds = [s.speed_kmh for s in recorder.samples if s.t >= since and s.speed_kmh is not None]
    if not speeds:
        return None
    return round(sum(speeds) / len(speeds), 2)
