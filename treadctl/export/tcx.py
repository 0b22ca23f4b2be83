"""TCX export: a Garmin Training Center Database v2 activity, valid against Garmin's XSD.

Shape: :func:`to_tcx` (an :class:`~treadctl.export.ExportSession` → the document's bytes)::

    TrainingCenterDatabase
     └── Activities/Activity Sport="Running"
          ├── Id                      the session's start (UTC)
          ├── Lap StartTime=…  ×n     one per program segment (manual mode: one)
          │    ├── TotalTimeSeconds, DistanceMeters, MaximumSpeed, Calories,
          │    │   AverageHeartRateBpm, MaximumHeartRateBpm, Intensity, TriggerMethod
          │    ├── Track/Trackpoint ×m    Time, DistanceMeters, HeartRateBpm,
          │    │                          Extensions/ns3:TPX/ns3:Speed (m/s)
          │    └── Notes               "Backward walk — backward": the direction
          ├── Notes                   program, session id, how it ended
          └── Creator (Device_t)      treadctl and its version

Why the direction is in the lap's Notes: TCX has no field for which way the person faced, and
Notes is the one free-text field a lap has that Garmin Connect and Strava keep.

Speed goes in Garmin's ActivityExtension v2 (``TPX/Speed``, m/s), the extension Garmin
Connect and Strava read speed from; the core schema has no speed per trackpoint. Elements are
written in the order the XSD's sequences require, and only when they have a value
(``HeartRateBpm/Value`` must be 1–255; a lap without samples has no ``Track``, which must hold
at least one ``Trackpoint``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from treadctl.export import ExportLap, ExportSample, ExportSession

__all__ = ["ACTIVITY_EXTENSION_NS", "TCX_NS", "to_tcx"]

TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
ACTIVITY_EXTENSION_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# "ns3" is the prefix Garmin Connect's own exports use for the extension, and some readers
# match the prefixed name rather than the namespace, so the document spells it that way.
# ElementTree reserves "ns<digits>" prefixes for itself, so the namespaces are declared on the
# root by hand and the tags written as prefixed names (ElementTree still escapes the text).
_EXT = "ns3"
_DECLARATIONS = {"xmlns": TCX_NS, f"xmlns:{_EXT}": ACTIVITY_EXTENSION_NS, "xmlns:xsi": XSI_NS}

_TRIGGERS = {"time": "Time", "distance": "Distance", "manual": "Manual"}


def _time(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: float, decimals: int = 3) -> str:
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, name)
    if text is not None:
        element.text = text
    return element


def _heart_rate(parent: ET.Element, name: str, bpm: int | None) -> None:
    if bpm is not None and 0 < bpm < 256:
        _sub(_sub(parent, name), "Value", str(bpm))


def _trackpoint(track: ET.Element, sample: ExportSample) -> None:
    point = _sub(track, "Trackpoint")
    _sub(point, "Time", _time(sample.time))
    _sub(point, "DistanceMeters", _number(sample.distance_m))
    _heart_rate(point, "HeartRateBpm", sample.heart_rate_bpm)
    if sample.speed_ms is not None:
        tpx = _sub(_sub(point, "Extensions"), f"{_EXT}:TPX")
        _sub(tpx, f"{_EXT}:Speed", _number(sample.speed_ms))


def _lap(activity: ET.Element, session: ExportSession, lap: ExportLap) -> None:
    element = _sub(activity, "Lap")
    element.set("StartTime", _time(session.started_at + timedelta(seconds=lap.start_t)))
    _sub(element, "TotalTimeSeconds", _number(lap.duration_s))
    _sub(element, "DistanceMeters", _number(lap.distance_m))
    if lap.max_speed_ms is not None:
        _sub(element, "MaximumSpeed", _number(lap.max_speed_ms))
    # Calories is an xsd:unsignedShort.
    _sub(element, "Calories", str(min(65535, round(lap.energy_kcal))))
    _heart_rate(element, "AverageHeartRateBpm", lap.avg_heart_rate_bpm)
    _heart_rate(element, "MaximumHeartRateBpm", lap.max_heart_rate_bpm)
    _sub(element, "Intensity", "Resting" if lap.rest else "Active")
    _sub(element, "TriggerMethod", _TRIGGERS[lap.trigger])
    if lap.samples:
        track = _sub(element, "Track")
        for sample in lap.samples:
            _trackpoint(track, sample)
    _sub(element, "Notes", lap.name)


def _activity_notes(session: ExportSession) -> str:
    what = session.program_name or "Manual session"
    ended = "interrupted (the log has no end record)" if session.interrupted else session.end_reason
    return (
        f"{what} on a treadmill, exported by treadctl from session {session.session_id} "
        f"({ended}). Each lap's notes say which way you faced."
    )


def to_tcx(session: ExportSession) -> bytes:
    """The TCX document for ``session``, UTF-8 with an XML declaration."""
    root = ET.Element("TrainingCenterDatabase", _DECLARATIONS)
    activity = _sub(_sub(root, "Activities"), "Activity")
    activity.set("Sport", "Running")
    _sub(activity, "Id", _time(session.started_at))
    for lap in session.laps:
        _lap(activity, session, lap)
    _sub(activity, "Notes", _activity_notes(session))
    creator = _sub(activity, "Creator")
    creator.set("xsi:type", "Device_t")
    _sub(creator, "Name", "treadctl")
    _sub(creator, "UnitId", "0")
    _sub(creator, "ProductID", "0")
    major, minor = session.version_parts()
    version = _sub(creator, "Version")
    _sub(version, "VersionMajor", str(major))
    _sub(version, "VersionMinor", str(minor))
    ET.indent(root, space=" ")
    document: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return document
