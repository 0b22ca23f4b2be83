"""Exports of a session log: CSV, TCX (Garmin Training Center v2) and FIT (activity file).

The JSON Lines session log (``docs/session-log.md``) is the source of truth; every export is
made from it, never from live state, so a history rebuilt from logs exports the same files.
The formats and their limits are described in ``docs/export.md``.

Shape::

    SessionLog ──load_session()──► ExportSession          (this module: the one loader)
                                    ├── samples: ExportSample, one per `sample` record
                                    ├── laps: ExportLap, one per program segment that has
                                    │         samples (manual mode: one lap)
                                    └── totals (end summary, else computed)
    ExportSession ──► csv_export.to_csv()  → str           (pure: no I/O)
                  ──► tcx.to_tcx()         → bytes
                  ──► fit.to_fit()         → bytes
    export_csv / export_tcx / export_fit(log, path)       write one file (atomically)
    export_session(log_path, fmt, out_path) → Path        read a log file, pick the writer
    export_all(paths, fmt, out_dir) → list[Path]          many logs; failures reported together
    export_file_name(session, fmt) → str                  "2026-12-07_1430_backward-intervals.csv"

Nothing is written over silently: an existing file is replaced only with ``overwrite=True``
(the person's ``--force`` or a confirm dialog), and a session log or the history database never
(:func:`protected_reason`), since they are what exports are made from. Every file is written
to a temporary file in the same folder and renamed into place when complete. The errors:

    ExportError (TreadctlError, ValueError)   a log's values cannot be exported
     ├── ExportSourceError                    the log: missing, a folder, unreadable, damaged
     └── ExportTargetError                    the output: read-only, full disk, a device, …
          ├── OutputExistsError               exists; ask the person, then overwrite=True
          └── ProtectedFileError              a session log or the database: never

Why a common model: each format needs the same derived values — a session distance that only
grows (a treadmill's own counter can reset or step back), laps that tile the session's time, a
lap's energy and heart rate — and computing them once keeps the three files in agreement.

The writers are imported lazily: ``garmin_fit_sdk`` is a large module (its profile alone is
32 000 lines) and nothing but a FIT export needs it.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import math
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from treadctl.data_folder import DataFolder
from treadctl.errors import TreadctlError
from treadctl.limits import Direction
from treadctl.recorder import FORMAT_NAME, SessionLog, SessionLogError, read_session_log
from treadctl.session.totals import SessionTotals

__all__ = [
    "FORMATS",
    "NAME_PROGRAM_MAX",
    "ExportError",
    "ExportFormat",
    "ExportLap",
    "ExportSample",
    "ExportSession",
    "ExportSourceError",
    "ExportTargetError",
    "LapTrigger",
    "OutputExistsError",
    "ProtectedFileError",
    "check_target",
    "current_folder",
    "export_all",
    "export_csv",
    "export_file_name",
    "export_fit",
    "export_session",
    "export_tcx",
    "is_protected_path",
    "load_session",
    "output_path",
    "protected_reason",
    "read_log",
    "write_file",
]

ExportFormat = Literal["csv", "tcx", "fit"]
FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)

LapTrigger = Literal["time", "distance", "manual"]
"""What ended a lap: a duration segment's time, a distance segment's distance, or the user
(manual mode, or a program segment whose length the log does not give)."""

DASH = "\u2014"  # the em dash between a lap's label and its direction: "Backward walk — backward"


class ExportError(TreadctlError, ValueError):
    """A log cannot be exported. ``path`` names the log; ``failures`` (from :func:`export_all`)
    lists every log that failed with its error, ``written`` the files that were made anyway."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        failures: Sequence[tuple[Path, Exception]] = (),
        written: Sequence[Path] = (),
    ) -> None:
        super().__init__(f"{path}: {message}" if path is not None else message)
        self.path = path
        self.failures = tuple(failures)
        self.written = tuple(written)


# --------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True, slots=True)
class ExportSample:
    """One ``sample`` record, with the session distance worked out.

    ``t`` is seconds since the session start and ``time`` the same instant in UTC.
    ``distance_m`` is the *session* distance (from 0, never decreasing); the treadmill's own
    counter, as logged, is ``treadmill_distance_m``. ``None`` means not measured.
    """

    t: float
    time: datetime
    speed_kmh: float | None
    incline_pct: float | None
    distance_m: float
    treadmill_distance_m: float | None
    elapsed_s: float | None
    energy_kcal: float | None
    heart_rate_bpm: int | None
    direction: Direction
    segment: int | None

    @property
    def speed_ms(self) -> float | None:
        return None if self.speed_kmh is None else self.speed_kmh / 3.6


class _SampleStats:
    """What a lap and a session both report from their samples, distance and duration."""

    __slots__ = ()
    samples: tuple[ExportSample, ...]
    distance_m: float
    if TYPE_CHECKING:
        # A lap's runs from start to end; a session's is a field. Declared only for the type
        # checker: a class attribute here would become the session field's default.
        @property
        def duration_s(self) -> float: ...

    @property
    def speeds_ms(self) -> list[float]:
        return [s.speed_ms for s in self.samples if s.speed_ms is not None]

    @property
    def max_speed_ms(self) -> float | None:
        return max(self.speeds_ms, default=None)

    @property
    def avg_speed_ms(self) -> float | None:
        """Distance over time, as Garmin defines a lap's average speed."""
        return self.distance_m / self.duration_s if self.duration_s > 0 else None

    @property
    def heart_rates(self) -> list[int]:
        return [s.heart_rate_bpm for s in self.samples if s.heart_rate_bpm is not None]

    @property
    def avg_heart_rate_bpm(self) -> int | None:
        rates = self.heart_rates
        return round(sum(rates) / len(rates)) if rates else None

    @property
    def max_heart_rate_bpm(self) -> int | None:
        return max(self.heart_rates, default=None)


@dataclass(frozen=True, slots=True)
class ExportLap(_SampleStats):
    """A lap: one program segment (or the whole of a manual session).

    Laps tile the session: a lap runs from ``start_t`` to ``end_t`` (s since the start), the
    first from 0, each to where the next begins, the last to the session's end. A segment
    without samples (skipped at once) gets no lap; its time goes to the lap before it.
    ``distance_m`` and ``energy_kcal`` are what the session totals grew by during the lap.
    ``direction`` is the segment's; in manual mode it is the one direction used, or None if
    both were. ``forward_s``/``backward_s`` count time with the belt moving.
    """

    number: int
    segment: int | None
    label: str
    direction: Direction | None
    rest: bool
    trigger: LapTrigger
    start_t: float
    end_t: float
    samples: tuple[ExportSample, ...]
    distance_m: float
    energy_kcal: float
    forward_s: float
    backward_s: float
    planned_duration_s: float | None = None
    planned_distance_m: float | None = None

    @property
    def duration_s(self) -> float:
        return self.end_t - self.start_t

    @property
    def name(self) -> str:
        """The lap as a person reads it, direction included: ``"Backward walk — backward"``.

        This is what TCX lap Notes and the FIT lap/workout-step names carry, because neither
        format has a field for which way the person faced.
        """
        if self.rest:
            return f"{self.label} {DASH} rest, belt stopped"
        if self.segment is not None and self.direction is not None:
            return f"{self.label} {DASH} {self.direction.value}"
        parts = [
            f"{direction.value} {seconds / 60:.1f} min"
            for direction, seconds in (
                (Direction.FORWARD, self.forward_s),
                (Direction.BACKWARD, self.backward_s),
            )
            if seconds > 0
        ]
        return f"{self.label} {DASH} {', '.join(parts) if parts else 'belt stopped'}"


@dataclass(frozen=True, slots=True)
class ExportSession(_SampleStats):
    """A session as the exporters see it. See :func:`load_session`.

    ``duration_s``, ``distance_m`` and ``energy_kcal`` come from the end record's summary when
    it has them, else from the samples; ``end_reason`` is the end record's reason, or
    ``"interrupted"`` for a log without one.
    """

    path: Path
    session_id: str
    started_at: datetime
    app_version: str
    program_name: str | None
    profile: str | None
    treadmill_name: str | None
    samples: tuple[ExportSample, ...]
    laps: tuple[ExportLap, ...]
    duration_s: float
    distance_m: float
    energy_kcal: float
    end_reason: str
    interrupted: bool
    segment_labels: Mapping[int, str] = dataclasses.field(default_factory=dict)

    @property
    def manual(self) -> bool:
        return self.program_name is None

    @property
    def ended_at(self) -> datetime:
        return self.started_at + timedelta(seconds=self.duration_s)

    def segment_label(self, index: int | None) -> str | None:
        """The label of program segment ``index`` (None in manual mode or if unknown)."""
        return None if index is None else self.segment_labels.get(index)

    def version_parts(self) -> tuple[int, int]:
        """``app_version`` as (major, minor), for fields that want numbers; (0, 0) if odd."""
        m = re.match(r"(\d+)\.(\d+)", self.app_version)
        return (int(m[1]), int(m[2])) if m else (0, 0)


# --------------------------------------------------------------------------------------------
# Loading


class _Fields:
    """Typed reads of one record's fields, with errors that say which record and field."""

    def __init__(self, path: Path, what: str, record: Mapping[str, Any]) -> None:
        self.path = path
        self.what = what
        self.record = record

    def fail(self, key: str, expected: str) -> ExportError:
        return ExportError(
            f"{self.what}: {key} is {self.record.get(key)!r}, expected {expected}", path=self.path
        )

    def number(self, key: str, *, minimum: float | None = None) -> float | None:
        value = self.record.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, "a number or null")
        if not math.isfinite(value):
            return None  # the recorder writes these as null; a hand-made file may not
        if minimum is not None and value < minimum:
            raise self.fail(key, f"a number of at least {minimum:g}")
        return float(value)

    def integer(self, key: str) -> int | None:
        value = self.record.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "an integer or null")
        return value

    def text(self, key: str) -> str | None:
        value = self.record.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(key, "a string or null")
        return value

    def direction(self, key: str = "direction") -> Direction:
        value = self.record.get(key)
        if value not in ("forward", "backward"):
            raise self.fail(key, '"forward" or "backward"')
        return Direction(value)


def _started_at(header: Mapping[str, Any], path: Path | None) -> datetime:
    raw = header.get("started_at")
    try:
        when = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise ExportError(
            f"header: started_at is {raw!r}, expected an ISO 8601 UTC time", path=path
        )
    return when.astimezone(UTC)


def _planned(log: SessionLog) -> dict[int, Mapping[str, Any]]:
    """The header's program segments by index: where a segment's length (duration/distance)
    is, since the runner's ``segment`` records do not repeat it."""
    program = log.header.get("program")
    segments = program.get("segments") if isinstance(program, Mapping) else None
    if not isinstance(segments, list):
        return {}
    return {
        seg["index"]: seg
        for seg in segments
        if isinstance(seg, Mapping) and isinstance(seg.get("index"), int)
    }


def _summary_number(end: Mapping[str, Any] | None, key: str) -> float | None:
    summary = end.get("summary") if end is not None else None
    if not isinstance(summary, Mapping):
        return None
    value = summary.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


@dataclass
class _LapDraft:
    segment: Mapping[str, Any] | None  # the `segment` record; None: manual mode
    start_t: float
    samples: list[ExportSample]
    forward_s: float = 0.0  # the session's moving time forward during the lap
    backward_s: float = 0.0


def load_session(log: SessionLog) -> ExportSession:
    """The export model of a session log.

    Samples keep file order (which is session-clock order) and belong to the segment whose
    ``segment`` record precedes them in the file — the segment the runner was in when it
    logged them (a sample before any segment record belongs to the first). An interrupted log
    exports everything up to its last line. Raises :class:`ExportError` naming the log and
    the record for values that cannot be exported (a hand-edited log).
    """
    path = log.path
    started_at = _started_at(log.header, path)
    planned = _planned(log)
    program = log.header.get("program")
    program_name = str(program.get("name") or "Program") if isinstance(program, Mapping) else None

    samples: list[ExportSample] = []
    drafts: list[_LapDraft] = []
    # The session distance and moving time, counted as the runner counts them (one
    # SessionTotals: the treadmill's counter where it has one, else the speed integrated).
    totals = SessionTotals()
    prev_t: float | None = None
    last_t = 0.0
    for number, record in enumerate(log.records, start=1):
        kind = record["kind"]
        t = float(record["t"])
        last_t = max(last_t, t)
        if kind == "segment":
            if program_name is None:
                program_name = "Program"  # segments without a header program: still laps
            drafts.append(_LapDraft(record, t, []))
            continue
        if kind != "sample":
            continue
        f = _Fields(path, f"record {number} (sample at t={t:g} s)", record)
        if prev_t is not None and t < prev_t:
            raise ExportError(
                f"record {number}: sample at t={t:g} s is earlier than the one before "
                f"(t={prev_t:g} s)",
                path=path,
            )
        speed = f.number("speed_kmh", minimum=0.0)
        counter = f.number("distance_m", minimum=0.0)
        direction = f.direction()
        forward_s, backward_s = totals.forward_s, totals.backward_s
        totals.add(t, speed, counter, direction)
        prev_t = t
        heart_rate = f.integer("heart_rate_bpm")
        if heart_rate is not None and not 0 < heart_rate < 255:
            heart_rate = None  # 0 is "no contact" on many straps; 255 is FIT's "invalid"
        sample = ExportSample(
            t=t,
            time=started_at + timedelta(seconds=t),
            speed_kmh=speed,
            incline_pct=f.number("incline_pct"),
            distance_m=totals.distance_m,
            treadmill_distance_m=counter,
            elapsed_s=f.number("elapsed_s"),
            energy_kcal=f.number("energy_kcal", minimum=0.0),
            heart_rate_bpm=heart_rate,
            direction=direction,
            segment=f.integer("segment"),
        )
        samples.append(sample)
        if not drafts:
            drafts.append(_LapDraft(None, 0.0, []))
        draft = drafts[-1]
        draft.samples.append(sample)
        draft.forward_s += totals.forward_s - forward_s
        draft.backward_s += totals.backward_s - backward_s

    end = log.end
    if end is not None:
        last_t = max(last_t, float(end["t"]))
    duration = _summary_number(end, "duration_s")
    if duration is None:
        duration = last_t
    # Laps must cover every sample even when the runner's clock and the recorder's differ by
    # a hair (the summary is timed from the runner's start, samples from the recorder's).
    duration = max(duration, samples[-1].t if samples else 0.0)

    kept = [d for d in drafts if d.samples]
    if not kept:
        # Nothing measured: one empty lap, so TCX (at least one Lap) and FIT stay valid.
        kept = [_LapDraft(drafts[0].segment if drafts else None, 0.0, [])]
    kept[0].start_t = 0.0
    laps = _laps(path, kept, duration, planned, manual=program_name is None)
    labels = {
        index: str(seg["label"])
        for index, seg in planned.items()
        if isinstance(seg.get("label"), str)
    }
    labels.update(
        (lap.segment, lap.label) for lap in laps if lap.segment is not None
    )  # the labels the segment records carry win over the header's

    computed_energy = next(
        (s.energy_kcal for s in reversed(samples) if s.energy_kcal is not None), 0.0
    )
    summary_distance = _summary_number(end, "distance_m")
    summary_energy = _summary_number(end, "energy_kcal")
    treadmill = log.header.get("treadmill")
    treadmill_name = treadmill.get("name") if isinstance(treadmill, Mapping) else None
    profile = log.header.get("profile")
    return ExportSession(
        path=path,
        session_id=log.session_id,
        started_at=started_at,
        app_version=str(log.header.get("app_version") or "0.0"),
        program_name=program_name,
        profile=profile if isinstance(profile, str) else None,
        treadmill_name=treadmill_name if isinstance(treadmill_name, str) else None,
        samples=tuple(samples),
        laps=tuple(laps),
        duration_s=duration,
        distance_m=totals.distance_m if summary_distance is None else summary_distance,
        energy_kcal=computed_energy if summary_energy is None else summary_energy,
        end_reason=str(end.get("reason") or "unknown") if end is not None else "interrupted",
        interrupted=end is None,
        segment_labels=labels,
    )


def _laps(
    path: Path,
    drafts: list[_LapDraft],
    duration: float,
    planned: Mapping[int, Mapping[str, Any]],
    *,
    manual: bool,
) -> list[ExportLap]:
    laps: list[ExportLap] = []
    prev_distance = prev_energy = 0.0
    for number, draft in enumerate(drafts):
        end_t = drafts[number + 1].start_t if number + 1 < len(drafts) else duration
        forward_s, backward_s = draft.forward_s, draft.backward_s
        distance = draft.samples[-1].distance_m if draft.samples else prev_distance
        energy = next(
            (s.energy_kcal for s in reversed(draft.samples) if s.energy_kcal is not None),
            prev_energy,
        )
        record = draft.segment
        if record is None or manual:
            directions = {s.direction for s in draft.samples if (s.speed_kmh or 0.0) > 0}
            laps.append(
                ExportLap(
                    number=number,
                    segment=None,
                    # A program session that never reached its first segment is not "manual".
                    label="Manual" if manual else "Session",
                    direction=directions.pop() if len(directions) == 1 else None,
                    rest=False,
                    trigger="manual",
                    start_t=draft.start_t,
                    end_t=end_t,
                    samples=tuple(draft.samples),
                    distance_m=distance - prev_distance,
                    energy_kcal=max(0.0, energy - prev_energy),
                    forward_s=forward_s,
                    backward_s=backward_s,
                )
            )
        else:
            f = _Fields(path, f"segment record at t={draft.start_t:g} s", record)
            index = f.integer("index")
            plan = planned.get(index, {}) if index is not None else {}
            p = _Fields(path, f"header program segment {index}", plan)
            planned_duration = f.number("duration_s", minimum=0) or p.number("duration_s")
            planned_distance = f.number("distance_m", minimum=0) or p.number("distance_m")
            trigger: LapTrigger = (
                "distance"
                if planned_distance is not None
                else "time"
                if planned_duration is not None
                else "manual"
            )
            label = f.text("label") or (f"Segment {index + 1}" if index is not None else "Segment")
            laps.append(
                ExportLap(
                    number=number,
                    segment=index,
                    label=label,
                    direction=f.direction(),
                    rest=record.get("rest") is True or plan.get("rest") is True,
                    trigger=trigger,
                    start_t=draft.start_t,
                    end_t=end_t,
                    samples=tuple(draft.samples),
                    distance_m=distance - prev_distance,
                    energy_kcal=max(0.0, energy - prev_energy),
                    forward_s=forward_s,
                    backward_s=backward_s,
                    planned_duration_s=planned_duration,
                    planned_distance_m=planned_distance,
                )
            )
        prev_distance, prev_energy = distance, max(prev_energy, energy)
    return laps


def _session(log: SessionLog | ExportSession) -> ExportSession:
    return log if isinstance(log, ExportSession) else load_session(log)


# --------------------------------------------------------------------------------------------
# Where a file goes, and what is never written over

#: The longest program part of :func:`export_file_name`, in characters: with the date and the
#: suffix a name stays well below the 255 bytes most file systems allow, in any script.
NAME_PROGRAM_MAX = 40
#: How much of an existing file is read to tell a session log or a database by its content.
_SNIFF_BYTES = 1 << 20
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DATABASE_SIBLINGS = ("", "-wal", "-shm", "-journal")  # SQLite's own files beside a database


class ExportSourceError(ExportError):
    """The session to export cannot be read as a file: missing, a folder, unreadable, or
    damaged beyond what :func:`~treadctl.recorder.read_session_log` reports. ``path``: it."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class ExportTargetError(ExportError):
    """The export cannot be written where it was asked to go (a read-only folder, a full disk,
    a device, a name too long …). ``path``: the file that was to be written. Nothing that was
    there before has been changed."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class OutputExistsError(ExportTargetError):
    """The output file exists and replacing it was not asked for (``overwrite=False``): the
    front end asks the person (``--force``, a confirm dialog) and tries again."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} already exists; choose another name, or agree to replace it", path=path
        )


class ProtectedFileError(ExportTargetError):
    """The output would replace a session log or the history database: refused always, even
    with ``overwrite=True``, since an export is made *from* them. See :func:`protected_reason`."""


def _slug(text: str, limit: int) -> str:
    """``text`` as a safe file-name part: NFKC, case-folded, every run of anything but letters
    and digits as one ``-``. Letters of every script are kept (a program named in Greek stays
    readable); separators, dots, spaces, control and bidi characters are not."""
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", text).casefold()).strip("-")
    return slug[:limit].strip("-")


def export_file_name(
    source: ExportSession | SessionLog | Mapping[str, Any],
    fmt: str,
    *,
    tz: tzinfo | None = None,
    with_id: bool = False,
) -> str:
    """The name an export of ``source`` gets when only a folder (or nothing) was given.

    ``<date>_<time>_<program>.<fmt>``, e.g. ``2026-12-07_1430_backward-intervals.csv``: the
    session's start in ``tz`` (default: this computer's time zone, the clock the person saw),
    then the program's name made safe for any file system — letters and digits of any script,
    every other run of characters as one ``-``, lower case, at most :data:`NAME_PROGRAM_MAX`
    characters; ``manual`` for a manual session, ``session`` for a name with no letter or
    digit. ``with_id=True`` appends the session id (``…_backward-intervals_3f9a1c07d2e4.csv``)
    for two sessions that started in the same minute with the same program.

    ``source`` is a session log, its export model, or a log's header (the first line's dict).
    The app's export dialog suggests this name; ``treadctl export`` uses it for ``-o FOLDER``
    and, without ``-o``, in the current folder. Raises :class:`ExportError` for a header
    without a valid start time.
    """
    checked = _check_format(fmt)
    if isinstance(source, ExportSession):
        started_at, program, session_id = source.started_at, source.program_name, source.session_id
    else:
        header = source.header if isinstance(source, SessionLog) else source
        path = source.path if isinstance(source, SessionLog) else None
        started_at = _started_at(header, path)
        plan = header.get("program")
        program = str(plan.get("name") or "Program") if isinstance(plan, Mapping) else None
        session_id = str(header.get("session_id") or "")
    when = started_at.astimezone(tz)
    what = "manual" if program is None else _slug(program, NAME_PROGRAM_MAX) or "session"
    name = f"{when:%Y-%m-%d_%H%M}_{what}"
    if with_id and (ident := _slug(session_id, 16)):
        name += f"_{ident}"
    return f"{name}.{checked}"


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: RuntimeError before Python 3.13
        return path.absolute()


def _head(path: Path) -> bytes:
    """The first bytes of ``path`` if it is a regular file (a pipe would block a read), else
    nothing; a file that cannot be read is judged by its name only."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return b""
        with path.open("rb") as file:
            return file.read(_SNIFF_BYTES)
    except OSError:
        return b""


def _reads_as_log_header(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0]
    try:
        record = json.loads(first)
    except (ValueError, RecursionError):
        # A header longer than what was read, or cut by a crash: its opening still names the
        # format, and a file that might be a log is kept rather than replaced.
        return first.lstrip().startswith(b"{") and FORMAT_NAME.encode() in first
    return (
        isinstance(record, dict)
        and record.get("kind") == "header"
        and record.get("format") == FORMAT_NAME
    )


def protected_reason(path: Path, data_folder: DataFolder | None = None) -> str | None:
    """What ``path`` is if an export must never replace it — ``"a session log"``, ``"the
    history database"`` or ``"a database"`` — else None (a new file, or an existing one that
    may be replaced with the person's consent).

    Protected, whether or not the file exists: a ``.jsonl`` name in the sessions folder (the
    history is rebuilt from every one) and the database with its journal files, in
    ``data_folder`` and in the platform's data folder. Protected wherever they are: files that
    read as a session log (first line a treadctl header) or as a SQLite database — a log
    copied elsewhere, a backup of the history. Symlinks are followed.
    """
    real = _resolved(Path(path))
    folders = [DataFolder.at()] if data_folder is None else [data_folder, DataFolder.at()]
    for folder in folders:
        if real.suffix.lower() == ".jsonl" and real.parent == _resolved(folder.sessions):
            return "a session log"
        database = _resolved(folder.history)
        if real.parent == database.parent and real.name in {
            database.name + tail for tail in _DATABASE_SIBLINGS
        }:
            return "the history database"
    head = _head(real)
    if head.startswith(_SQLITE_MAGIC):
        return "a database"
    if _reads_as_log_header(head):
        return "a session log"
    return None


def is_protected_path(path: Path, data_folder: DataFolder | None = None) -> bool:
    """True if an export must never write ``path`` (see :func:`protected_reason`)."""
    return protected_reason(path, data_folder) is not None


_WRITE_PROBLEMS = {
    errno.EACCES: "permission denied (the folder is read-only or not yours); choose another folder",
    errno.EPERM: "permission denied (the folder is read-only or not yours); choose another folder",
    errno.EROFS: "the disk is read-only; choose another folder",
    errno.ENOSPC: "the disk is full; free some space or choose another disk",
    errno.EFBIG: "the file is too large for this disk; choose another disk",
    errno.ENOTDIR: "a part of the path is a file, not a folder; choose another folder",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter file name",
    errno.EISDIR: "it is a folder; give a file name",
    errno.ELOOP: "the path has a symbolic link loop; choose another path",
}
if hasattr(errno, "EDQUOT"):  # not on Windows
    _WRITE_PROBLEMS[errno.EDQUOT] = "the disk quota is used up; free some space"


def _target_error(path: Path, error: OSError) -> ExportTargetError:
    problem = _WRITE_PROBLEMS.get(error.errno or 0)
    if problem is None:
        problem = f"{error.strerror or error}; choose another place to export to"
    return ExportTargetError(f"cannot write {path}: {problem}", path=path)


def _is_folder(path: Path) -> bool:
    """Windows reports opening a folder as PermissionError; ``Path.is_dir`` would raise for a
    name too long, so the error being explained would become another one."""
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:
        return False


def _source_error(path: Path, error: OSError) -> ExportSourceError:
    if isinstance(error, IsADirectoryError) or _is_folder(path):
        problem = "is a folder, not a session log; give a log file (.jsonl) or a session id"
    elif isinstance(error, FileNotFoundError):
        problem = "does not exist; give a session log file or a session id"
    else:
        problem = f"cannot be read ({error.strerror or error}); check the file and its permissions"
    return ExportSourceError(f"{path} {problem}", path=path)


def read_log(path: Path, *, skip_bad_lines: bool = False) -> SessionLog:
    """:func:`~treadctl.recorder.read_session_log` for an export: a file that cannot be read
    is an :class:`ExportSourceError`, a bad line a ``SessionLogError`` — both name the file."""
    path = Path(path)
    try:
        return read_session_log(path, skip_bad_lines=skip_bad_lines)
    except OSError as error:
        raise _source_error(path, error) from None


def check_target(
    path: Path, *, overwrite: bool = False, data_folder: DataFolder | None = None
) -> None:
    """Raise unless an export may write ``path``: never a protected file
    (:class:`ProtectedFileError`), never a folder or anything but a regular file, and an
    existing file only with ``overwrite=True`` (else :class:`OutputExistsError`). Writes
    nothing; the write itself can still fail (a full disk) with an :class:`ExportTargetError`.
    """
    path = Path(path)
    kind = protected_reason(path, data_folder)
    if kind is not None:
        raise ProtectedFileError(
            f"{path} is {kind}; an export never replaces it, so choose another file name",
            path=path,
        )
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # new; a parent that is a file is reported by the write, which names it
    except OSError as error:
        raise _target_error(path, error) from None
    if stat.S_ISDIR(mode):
        raise ExportTargetError(f"{path} is a folder; give a file name to export to", path=path)
    if not stat.S_ISREG(mode):
        # /dev/null, a pipe, a socket: the atomic write would replace the device node itself.
        raise ExportTargetError(
            f"{path} is not a regular file (a device, pipe or socket); give a file name to "
            "export to",
            path=path,
        )
    if not overwrite:
        raise OutputExistsError(path)


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; a name too long or a path through a file says so as a
    sentence, not as the OSError ``Path.exists`` lets through."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as error:
        raise _target_error(path, error) from None
    return True


def current_folder() -> Path:
    """The folder the person is in: where an export without a path goes. A folder deleted
    while a shell was still in it is an :class:`ExportTargetError`, not a ``FileNotFoundError``."""
    try:
        return Path.cwd()
    except OSError:
        raise ExportTargetError(
            "the current folder no longer exists; change to another folder or give -o",
            path=Path("."),
        ) from None


def output_path(
    source: ExportSession | SessionLog | Mapping[str, Any],
    fmt: ExportFormat,
    out_path: Path | None = None,
) -> Path:
    """Where :func:`export_session` writes an export of ``source`` as ``fmt``.

    No ``out_path``: :func:`export_file_name` in the current folder (the person's, not the data
    folder). An existing folder, or a new path without a suffix (a folder still to be made):
    that name inside it. Any other path: that file.
    """
    if out_path is None:
        return current_folder() / export_file_name(source, fmt)
    out_path = Path(out_path)
    exists = _exists(out_path)
    if (exists and out_path.is_dir()) or (not exists and not out_path.suffix):
        return out_path / export_file_name(source, fmt)
    return out_path


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ExportTargetError(
            f"cannot write into {folder}: it is a file, not a folder; choose another folder",
            path=folder,
        ) from None
    except OSError as error:
        raise _target_error(folder, error) from None


def _publish(tmp: Path, path: Path, *, overwrite: bool) -> None:
    """Move the finished temporary file to ``path``; without ``overwrite``, only if nothing is
    there, decided by the file system at that instant (a hard link fails on an existing name)
    rather than by a check that another program could race."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputExistsError(path) from None
    except OSError:
        # FAT/exFAT cards and some network shares have no hard links: check, then rename.
        if os.path.lexists(path):
            raise OutputExistsError(path) from None
        os.replace(tmp, path)
        return
    tmp.unlink()


def _write_atomic(path: Path, data: bytes, *, overwrite: bool) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, renamed into
    place only when complete: a failed write (a full disk) never leaves half a file, and never
    harms the file that was there. OSErrors become :class:`ExportTargetError` sentences."""
    path = Path(path)
    try:
        # A short fixed prefix, not the target's name: ".<name>.tmp" would exceed the file
        # system's 255-byte limit for a name that is itself allowed.
        fd, name = tempfile.mkstemp(prefix=".treadctl-export-", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _target_error(path, error) from None
    tmp = Path(name)
    try:
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                # Some file systems (delayed allocation, network shares) report a full disk
                # only here: it must show before the rename, while the old file is whole.
                os.fsync(out.fileno())
            _publish(tmp, path, overwrite=overwrite)
        except OSError as error:
            raise _target_error(path, error) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_file(
    path: Path,
    data: bytes | None,
    *,
    overwrite: bool = False,
    data_folder: DataFolder | None = None,
) -> Path:
    """Write ``data`` to ``path`` under an export's rules, for any file the command line hands
    a person (a device report too): :func:`check_target`, then written whole or not at all.

    ``data=None`` only tries: it makes and removes a temporary file where ``path`` would go,
    so a command whose work takes a while (a device report, a guided test that moves the belt)
    can refuse a place it cannot write *before* that work, not after it."""
    path = Path(path)
    check_target(path, overwrite=overwrite, data_folder=data_folder)
    if data is not None:
        return _write_atomic(path, data, overwrite=overwrite)
    try:
        fd, name = tempfile.mkstemp(prefix=".treadctl-export-", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _target_error(path, error) from None
    os.close(fd)
    os.unlink(name)
    return path


def _render(session: ExportSession, fmt: ExportFormat) -> bytes:
    if fmt == "csv":
        from treadctl.export.csv_export import to_csv

        return to_csv(session).encode("utf-8")
    if fmt == "tcx":
        from treadctl.export.tcx import to_tcx

        return to_tcx(session)
    from treadctl.export.fit import to_fit

    return to_fit(session)


def _export(
    log: SessionLog | ExportSession,
    fmt: ExportFormat,
    path: Path,
    *,
    overwrite: bool,
    data_folder: DataFolder | None,
) -> Path:
    """Check ``path``, make the file's bytes, then write them: a log that cannot be exported
    leaves no folder or file behind."""
    path = Path(path)
    check_target(path, overwrite=overwrite, data_folder=data_folder)
    data = _render(_session(log), fmt)
    _make_folder(path.parent)
    return _write_atomic(path, data, overwrite=overwrite)


def export_csv(
    log: SessionLog | ExportSession,
    path: Path,
    *,
    overwrite: bool = False,
    data_folder: DataFolder | None = None,
) -> Path:
    """Write the session as CSV, one row per sample (columns: ``docs/export.md``). ``overwrite``
    and ``data_folder``: as for :func:`export_session`."""
    return _export(log, "csv", path, overwrite=overwrite, data_folder=data_folder)


def export_tcx(
    log: SessionLog | ExportSession,
    path: Path,
    *,
    overwrite: bool = False,
    data_folder: DataFolder | None = None,
) -> Path:
    """Write the session as a Training Center Database v2 activity (one lap per segment)."""
    return _export(log, "tcx", path, overwrite=overwrite, data_folder=data_folder)


def export_fit(
    log: SessionLog | ExportSession,
    path: Path,
    *,
    overwrite: bool = False,
    data_folder: DataFolder | None = None,
) -> Path:
    """Write the session as a FIT activity file (sport running, sub-sport treadmill)."""
    return _export(log, "fit", path, overwrite=overwrite, data_folder=data_folder)


def _check_format(fmt: str) -> ExportFormat:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    return fmt


def export_session(
    log_path: Path,
    fmt: str,
    out_path: Path | None = None,
    *,
    skip_bad_lines: bool = False,
    overwrite: bool = False,
    data_folder: DataFolder | None = None,
) -> Path:
    """Read the log at ``log_path`` and export it as ``fmt`` (``csv``, ``tcx`` or ``fit``).

    Returns the file written (see :func:`output_path`). Nothing is written over silently: an
    existing file is replaced only with ``overwrite=True`` (else :class:`OutputExistsError`),
    and a session log or the history database never (:class:`ProtectedFileError`; the
    sessions folder and database are ``data_folder``'s and the platform's). A place that
    cannot be written is an :class:`ExportTargetError`, a log that cannot be read an
    :class:`ExportSourceError` or, for a corrupt line, a
    :class:`~treadctl.recorder.SessionLogError` naming the file and line — unless
    ``skip_bad_lines`` keeps the rest of it. All are ``TreadctlError`` sentences.
    """
    checked = _check_format(fmt)
    log = read_log(Path(log_path), skip_bad_lines=skip_bad_lines)
    target = output_path(log, checked, out_path)
    return _export(log, checked, target, overwrite=overwrite, data_folder=data_folder)


def export_all(
    paths: Iterable[Path],
    fmt: str,
    out_dir: Path | None = None,
    *,
    skip_bad_lines: bool = False,
    overwrite: bool = False,
    data_folder: DataFolder | None = None,
) -> list[Path]:
    """Export every log in ``paths`` into ``out_dir`` (created if missing; None: the current
    folder), one file each,
    named by :func:`export_file_name` (with the session id when two would share a name).

    One log that fails — unreadable, or its file refused as in :func:`export_session` — does
    not stop the others: all are tried, then an :class:`ExportError` lists every failure (its
    ``failures`` hold each log with its error, ``written`` the files made anyway). A folder
    that cannot be made raises its :class:`ExportTargetError` at once. Returns the files.
    """
    checked = _check_format(fmt)
    out_dir = current_folder() if out_dir is None else Path(out_dir)
    if _exists(out_dir) and not out_dir.is_dir():
        raise ExportTargetError(
            f"{out_dir} is a file, not a folder; give a folder to export into", path=out_dir
        )
    _make_folder(out_dir)
    written: list[Path] = []
    failures: list[tuple[Path, Exception]] = []
    taken: set[Path] = set()
    for given in paths:
        log_path = Path(given)
        try:
            log = read_log(log_path, skip_bad_lines=skip_bad_lines)
            target = out_dir / export_file_name(log, checked)
            if target in taken:
                # Same minute, same program: the second must not replace the first, even with
                # overwrite=True.
                target = out_dir / export_file_name(log, checked, with_id=True)
            taken.add(target)
            written.append(
                _export(log, checked, target, overwrite=overwrite, data_folder=data_folder)
            )
        except (ExportError, SessionLogError) as exc:
            failures.append((log_path, exc))
    if failures:
        details = "; ".join(str(exc) for _, exc in failures)
        raise ExportError(
            f"{len(failures)} of {len(failures) + len(written)} logs not exported: {details}",
            failures=failures,
            written=written,
        )
    return written
