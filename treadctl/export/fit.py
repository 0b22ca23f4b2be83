"""FIT export: an activity file written with Garmin's official SDK (``garmin_fit_sdk.Encoder``).

Shape: :func:`to_fit` (an :class:`~treadctl.export.ExportSession` → the file's bytes). The
messages, in the order Garmin's activity-file guidance gives them (laps interleaved with the
records they summarise, as devices write them)::

    file_id             type activity, manufacturer development, product, serial, time_created
    developer_data_id   treadctl's application id          ┐ the developer fields below
    field_description   "direction" (string), "lap_name"   ┘
    device_info         the creator: treadctl and its version
    event               timer start
    workout             the program's name                 ┐ program sessions only: one step
    workout_step ×n     "Backward walk — backward"         ┘ per lap, named with the direction
    record ×m           timestamp, distance, speed + enhanced_speed, heart_rate, grade,
                        dev field direction
    lap ×n              after its records: start_time, elapsed/timer time, distance, calories,
                        speeds, heart rate, intensity, lap_trigger, running/treadmill,
                        wkt_step_index, dev fields direction and lap_name
    event               timer stop_all
    session             running/treadmill, totals, first_lap_index 0, num_laps
    activity            num_sessions 1, total_timer_time, local_timestamp

Where the direction lives, since the FIT profile has no direction field and a lap has no
name: (1) each lap's workout step is named ``"<label> — <direction>"`` (``wkt_step_name``,
standard profile, shown by Garmin Connect for structured workouts), (2) developer fields
``direction`` on every record and lap and ``lap_name`` on every lap (kept by any FIT reader,
ignored by Garmin Connect and Strava). Manual sessions have no workout, only the developer
fields.

FIT times are whole seconds: record timestamps are the session start plus the sample's ``t``,
rounded, so two samples logged within one second (a 2 Hz treadmill) share a timestamp. Timer
time equals elapsed time: the log does not say when a person paused a session's timer.
"""

from __future__ import annotations

import math
import uuid
import zlib
from datetime import datetime, timedelta
from typing import Any

from garmin_fit_sdk import BASE_TYPE, FIT_EPOCH_S, Encoder, Profile

from treadctl.export import ExportLap, ExportSample, ExportSession

__all__ = ["APPLICATION_ID", "SERIAL_NUMBER", "to_fit"]

# Stable identities for treadctl as the "device": a FIT file names its creator by
# manufacturer/product/serial, and the developer fields by a 16-byte application id.
APPLICATION_ID = uuid.uuid5(uuid.NAMESPACE_URL, "treadctl:fit-developer-data").bytes
SERIAL_NUMBER = zlib.crc32(b"treadctl") or 1  # uint32z: 0 means invalid
PRODUCT = 1

_MESG = {name: num for num, name in Profile["types"]["mesg_num"].items()}

# Developer field keys (the Encoder's keys are also the field_definition_numbers here).
_DIRECTION = 0
_LAP_NAME = 1

_DEV_INDEX = 0


def _timestamp(when: datetime) -> int:
    """Seconds since the FIT epoch (1989-12-31T00:00:00Z), rounded to the nearest second."""
    return round(when.timestamp()) - FIT_EPOCH_S


def _uint(value: float | None, limit: float) -> float | None:
    """``value`` if it fits a field's range after scaling, else None (the field is left out)."""
    if value is None or not math.isfinite(value) or value < 0 or value > limit:
        return None
    return value


def _version_hundredths(session: ExportSession) -> float:
    major, minor = session.version_parts()
    return major + minor / 100


def _developer_fields(encoder: Encoder) -> None:
    data_id = {
        "mesg_num": _MESG["developer_data_id"],
        "developer_data_index": _DEV_INDEX,
        "application_id": list(APPLICATION_ID),
        "application_version": 1,
    }
    encoder.write_mesg(data_id)
    for key, name in ((_DIRECTION, "direction"), (_LAP_NAME, "lap_name")):
        description = {
            "mesg_num": _MESG["field_description"],
            "developer_data_index": _DEV_INDEX,
            "field_definition_number": key,
            "fit_base_type_id": BASE_TYPE["STRING"],
            "field_name": name,
        }
        encoder.write_mesg(description)
        encoder.add_developer_field(key, data_id, description)  # type: ignore[arg-type]


def _speeds(avg_ms: float | None, max_ms: float | None) -> dict[str, Any]:
    # uint16 m/s × 1000 for the classic fields, uint32 for the enhanced ones Garmin now
    # writes; readers differ in which they use, so both are given.
    avg16, max16 = _uint(avg_ms, 65.534), _uint(max_ms, 65.534)
    return {
        "avg_speed": avg16,
        "max_speed": max16,
        "enhanced_avg_speed": _uint(avg_ms, 4_294_967.294),
        "enhanced_max_speed": _uint(max_ms, 4_294_967.294),
    }


def _record(sample: ExportSample) -> dict[str, Any]:
    grade = sample.incline_pct
    return {
        "mesg_num": _MESG["record"],
        "timestamp": _timestamp(sample.time),
        "distance": _uint(sample.distance_m, 42_949_672.94),
        "speed": _uint(sample.speed_ms, 65.534),
        "enhanced_speed": _uint(sample.speed_ms, 4_294_967.294),
        "heart_rate": sample.heart_rate_bpm,
        # sint16 % × 100: a treadmill's incline (-6 … 40 %) fits easily.
        "grade": grade if grade is not None and abs(grade) < 327 else None,
        "developer_fields": {_DIRECTION: sample.direction.value},
    }


def _lap(session: ExportSession, lap: ExportLap, last: bool, workout: bool) -> dict[str, Any]:
    start = _timestamp(session.started_at + timedelta(seconds=lap.start_t))
    end = _timestamp(session.started_at + timedelta(seconds=lap.end_t))
    lap_direction = lap.direction.value if lap.direction is not None else "forward and backward"
    if lap.rest:
        lap_direction = "none (rest)"
    return {
        "mesg_num": _MESG["lap"],
        "message_index": lap.number,
        "timestamp": max(start, end),
        "event": "lap",
        "event_type": "stop",
        "start_time": start,
        "total_elapsed_time": lap.duration_s,
        "total_timer_time": lap.duration_s,
        "total_distance": _uint(lap.distance_m, 42_949_672.94),
        "total_calories": min(65534, round(lap.energy_kcal)),
        **_speeds(lap.avg_speed_ms, lap.max_speed_ms),
        "avg_heart_rate": lap.avg_heart_rate_bpm,
        "max_heart_rate": lap.max_heart_rate_bpm,
        "intensity": "rest" if lap.rest else "active",
        # Garmin devices mark the lap that the end of the session closed as session_end.
        "lap_trigger": "session_end" if last else lap.trigger,
        "sport": "running",
        "sub_sport": "treadmill",
        "wkt_step_index": lap.number if workout else None,
        "developer_fields": {_DIRECTION: lap_direction, _LAP_NAME: lap.name},
    }


def _workout(encoder: Encoder, session: ExportSession) -> None:
    """The program as run: one step per lap, so ``lap.wkt_step_index`` names each lap."""
    encoder.write_mesg(
        {
            "mesg_num": _MESG["workout"],
            "wkt_name": session.program_name,
            "sport": "running",
            "sub_sport": "treadmill",
            "num_valid_steps": len(session.laps),
        }
    )
    for lap in session.laps:
        if lap.planned_distance_m is not None:
            duration_type, duration_value = "distance", round(lap.planned_distance_m * 100)
        elif lap.planned_duration_s is not None:
            duration_type, duration_value = "time", round(lap.planned_duration_s * 1000)
        else:
            duration_type, duration_value = "open", None
        encoder.write_mesg(
            {
                "mesg_num": _MESG["workout_step"],
                "message_index": lap.number,
                "wkt_step_name": lap.name,
                "duration_type": duration_type,
                "duration_value": duration_value,
                "target_type": "open",
                "intensity": "rest" if lap.rest else "active",
                "notes": None if lap.direction is None else f"facing {lap.direction.value}",
            }
        )


def to_fit(session: ExportSession) -> bytes:
    """The FIT activity file for ``session`` (header and file CRC written by the Encoder)."""
    encoder = Encoder()
    start = _timestamp(session.started_at)
    end = max(start, _timestamp(session.ended_at))
    encoder.write_mesg(
        {
            "mesg_num": _MESG["file_id"],
            "type": "activity",
            "manufacturer": "development",
            "product": PRODUCT,
            "serial_number": SERIAL_NUMBER,
            "time_created": start,
            "product_name": "treadctl",
        }
    )
    _developer_fields(encoder)
    encoder.write_mesg(
        {
            "mesg_num": _MESG["device_info"],
            "timestamp": start,
            "device_index": "creator",
            "manufacturer": "development",
            "product": PRODUCT,
            "serial_number": SERIAL_NUMBER,
            "software_version": _version_hundredths(session),
            "product_name": "treadctl",
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": _MESG["event"],
            "timestamp": start,
            "event": "timer",
            "event_type": "start",
            "event_group": 0,
        }
    )
    workout = not session.manual
    if workout:
        _workout(encoder, session)
    for lap in session.laps:
        for sample in lap.samples:
            encoder.write_mesg(_record(sample))
        encoder.write_mesg(_lap(session, lap, lap is session.laps[-1], workout))
    encoder.write_mesg(
        {
            "mesg_num": _MESG["event"],
            "timestamp": end,
            "event": "timer",
            "event_type": "stop_all",
            "event_group": 0,
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": _MESG["session"],
            "message_index": 0,
            "timestamp": end,
            "event": "session",
            "event_type": "stop",
            "start_time": start,
            "sport": "running",
            "sub_sport": "treadmill",
            "total_elapsed_time": session.duration_s,
            "total_timer_time": session.duration_s,
            "total_distance": _uint(session.distance_m, 42_949_672.94),
            "total_calories": min(65534, round(session.energy_kcal)),
            **_speeds(session.avg_speed_ms, session.max_speed_ms),
            "avg_heart_rate": session.avg_heart_rate_bpm,
            "max_heart_rate": session.max_heart_rate_bpm,
            "first_lap_index": 0,
            "num_laps": len(session.laps),
            "trigger": "activity_end",
        }
    )
    # local_timestamp: the wall-clock time where the export runs (the log keeps only UTC);
    # Garmin Connect uses it to show the activity's local start.
    offset = session.ended_at.astimezone().utcoffset()
    local = end + (round(offset.total_seconds()) if offset is not None else 0)
    encoder.write_mesg(
        {
            "mesg_num": _MESG["activity"],
            "timestamp": end,
            "total_timer_time": session.duration_s,
            "num_sessions": 1,
            "type": "manual",
            "event": "activity",
            "event_type": "stop",
            "local_timestamp": local,
        }
    )
    return encoder.close()
