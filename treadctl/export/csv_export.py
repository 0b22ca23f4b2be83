"""CSV export: one row per sample, units in the column names.

Shape: :func:`to_csv` (an :class:`~treadctl.export.ExportSession` → the file's text) and
:data:`COLUMNS`, the header, documented in ``docs/export.md``. Named ``csv_export`` rather
than ``csv`` so that it never shadows the standard library's :mod:`csv`, which it uses.

Empty cells are values that were not measured. Numbers are written as the log holds them (the
recorder rounds to 3 decimals), so a spreadsheet sees exactly what the session logged.
"""

from __future__ import annotations

import csv
import io

from treadctl.export import ExportSample, ExportSession

__all__ = ["COLUMNS", "to_csv"]

COLUMNS: tuple[str, ...] = (
    "time_s",  # s since the session start (session clock)
    "time_utc",  # the same instant, ISO 8601 UTC with milliseconds
    "speed_kmh",
    "incline_pct",
    "distance_m",  # session distance from 0, never decreasing (what TCX and FIT carry)
    "treadmill_distance_m",  # the treadmill's own counter, as logged
    "treadmill_elapsed_s",  # the treadmill's own elapsed time, as logged
    "heart_rate_bpm",
    "energy_kcal",  # cumulative estimate (ACSM with the backward factor)
    "direction",  # forward | backward: which way the person faced
    "segment",  # program segment index from 0; empty in manual mode
    "segment_label",
)


def _cell(value: float | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # repr keeps every digit the log had and no more; -0.0 would surprise a spreadsheet.
        return repr(value + 0.0) if value != int(value) else str(int(value))
    return str(value)


def _row(session: ExportSession, s: ExportSample) -> list[str]:
    return [
        _cell(round(s.t, 3)),
        s.time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        _cell(s.speed_kmh),
        _cell(s.incline_pct),
        _cell(round(s.distance_m, 3)),
        _cell(s.treadmill_distance_m),
        _cell(s.elapsed_s),
        _cell(s.heart_rate_bpm),
        _cell(s.energy_kcal),
        s.direction.value,
        _cell(s.segment),
        _cell(session.segment_label(s.segment)),
    ]


def to_csv(session: ExportSession) -> str:
    """The CSV text: the :data:`COLUMNS` header, then one row per sample in session order.

    Lines end in CRLF (RFC 4180, what spreadsheet programs expect).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_row(session, s) for s in session.samples)
    return out.getvalue()
