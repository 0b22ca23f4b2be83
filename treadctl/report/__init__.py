"""Device reports: a shareable, privacy-clean description of one treadmill, and how to read it.

Shape (who owns what, and in which module)::

    collect_report(address, clock, backends, ...)   -> dict          what ``treadctl probe
     │                                                                --report`` does: collect
     ├── the link: advertisement_of, survey_gatt, raw notifications, control answers
     └── a SessionRunner for the guided test: every belt command is the governor's
    report_json(shape, ...) / read_report(path) -> DeviceShape         format (version 1)
    strip_timestamps(report)                                           what must agree
    guided_findings(observation) -> (Finding, ...)                     findings (pure)
    ReportError                                                        errors: file + field

The format, field by field, what is left out for privacy and how a user files a report:
``docs/device-report.md``. The virtual treadmill takes a report's shape with
``--simulate --device FILE`` (``treadctl.virtual.reported_device``).
"""

from __future__ import annotations

from treadctl.report.errors import ReportError
from treadctl.report.findings import Finding, GuidedObservation, GuidedStep, guided_findings
from treadctl.report.format import (
    FORMAT,
    VERSION,
    parse_report,
    read_report,
    report_json,
    strip_timestamps,
)

__all__ = [
    "FORMAT",
    "VERSION",
    "Finding",
    "GuidedObservation",
    "GuidedStep",
    "ReportError",
    "guided_findings",
    "parse_report",
    "read_report",
    "report_json",
    "strip_timestamps",
]
