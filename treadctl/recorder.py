"""The session log: one JSON Lines file per session, appended as the session runs.

The log is the source of truth for history: the store is rebuilt from these files, so they are
written to survive a crash and read back tolerantly. The format is documented, with examples,
in ``docs/session-log.md``; this module is its only writer and its reference reader.

Shape:

- :class:`SessionRecorder` — ``start(header)`` creates ``<dir>/<UTC start>_<id>.jsonl`` (file
  0600; a directory it creates, 0700) and writes the header; typed helpers ``sample``,
  ``command``, ``notice``, ``segment``, ``status`` and the generic ``record(kind, **fields)``
  append a line each to an in-memory buffer; ``flush_if_due()`` (call it often) or
  ``await run_flusher()`` (a task) writes the buffer out at least every second of clock time;
  ``close(reason, summary)`` writes the ``end`` record, flushes, fsyncs and closes. Also a
  context manager: leaving it on an exception closes with reason ``"aborted"``.
- :func:`read_session_log` → :class:`SessionLog` (header, records, end or None, interrupted),
  raising :class:`SessionLogError` (file and line number) on a corrupt line, or skipping and
  reporting such lines with ``skip_bad_lines=True``. Reading is bounded whatever the file
  holds: a line longer than :data:`MAX_LINE_BYTES`, nested deeper than :data:`MAX_DEPTH` or
  with an integer of more than :data:`MAX_INT_DIGITS` digits is a corrupt line.

Why buffer and flush once a second: the app runs everything on one event loop (the Qt thread),
so a write per sample would be a syscall per notification; one small append a second keeps the
loop free and still bounds what a kill -9 can lose to one second. Data written and flushed is in
the OS's page cache and survives the process dying; ``os.fsync`` (every few seconds and on
close) is what makes it survive the *machine* dying. The periodic fsync runs on a thread of the
recorder's own (``fsync_in_thread``, the default): on a disk it took 30-40 ms, long enough for
an E-stop key press to wait behind it on the loop's thread (tests/bench/bench_app.py). The
one after the header and the one on close stay inline (close waits for one in flight first), so
a start and an end are on disk when those calls return; a background fsync's error surfaces at
the next flush, as any write error does.

Times: a record's ``t`` is seconds since the session start on the injected :class:`Clock`
(monotonic, so it never jumps with the wall clock); the header carries the wall-clock start, in
UTC, once. Floats are rounded to 3 decimals to keep files small.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import os
import re
import reprlib
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import treadctl
from treadctl.clock import Clock
from treadctl.errors import TreadctlError
from treadctl.limits import Direction, Limits

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_LINE_BYTES",
    "BadLine",
    "SessionLog",
    "SessionLogError",
    "SessionRecorder",
    "read_session_log",
    "short_repr",
]

FORMAT_NAME = "treadctl-session-log"
FORMAT_VERSION = 1
"""Bumped only for a change an older reader would misread (see docs/session-log.md)."""

FLUSH_INTERVAL_S = 1.0
FSYNC_INTERVAL_S = 3.0
FLOAT_DECIMALS = 3

# Reading limits: whatever a log holds, reading it costs bounded memory and stack.
# The longest line the recorder writes is the header, which lists the program's expanded
# segments: MAX_SEGMENTS (10,000) of them with 200-character labels is about 10 MB at worst.
MAX_LINE_BYTES = 16 << 20
# The recorder nests four levels (header > program > segments > one segment).
MAX_DEPTH = 32
# Counts, ids and times: no integer the recorder writes comes near this; past ~308 digits
# math.isfinite() overflows and past 4300 Python refuses to convert it at all.
MAX_INT_DIGITS = 100

# Chosen by the recorder, so a caller cannot set them through start() or record().
_HEADER_OWN_FIELDS = frozenset(
    {"kind", "format", "version", "session_id", "app_version", "started_at", "clock_start"}
)
_RECORD_OWN_FIELDS = frozenset({"kind", "t"})
_RESERVED_KINDS = frozenset({"header", "end"})
_KIND_RE = re.compile(r"[a-z][a-z0-9_]*")
# Session ids go into file names: keep them portable and free of path separators.
_SESSION_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class SessionLogError(TreadctlError, ValueError):
    """A session log cannot be written or read. ``path`` and ``line`` (1-based) say where."""

    def __init__(self, message: str, *, path: Path | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: floats rounded, non-finite floats as null.

    Raises TypeError at record time for anything else, so a caller's mistake shows where it was
    made rather than a second later inside a flush.
    """
    # bool before int (it is one); enums before str/int (StrEnum/IntEnum are both).
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, str | int):
        return value
    if isinstance(value, float):
        # JSON has no NaN or infinity; a log line must never fail to serialise mid-session.
        return round(value, FLOAT_DECIMALS) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to a session log")


def _encode(record: Mapping[str, Any]) -> bytes:
    text = json.dumps(_jsonable(record), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


class SessionRecorder:
    """Writes one session's log. Create, ``start()``, record, ``close()``.

    ``clock`` times the records and the flushing; ``wall_clock`` (an aware datetime, default
    ``datetime.now(UTC)``) stamps the start once. ``session_id`` defaults to 12 random hex
    digits and must be 1–64 of ``A–Z a–z 0–9 _ -``.

    Flushing contract: every record reaches the file (written and flushed, so it survives a
    kill -9) within ``flush_interval_s`` (1 s) of clock time, provided the owner either runs
    :meth:`run_flusher` as a task or calls :meth:`flush_if_due` at least that often (each
    record call also does it). ``os.fsync`` follows at least every ``fsync_interval_s`` (3 s)
    of clock time, and on close.

    If the disk fails, the write raises :class:`SessionLogError` once; after that the recorder
    is ``failed``, drops further records (counted in ``dropped``) and never raises again, so
    a full disk cannot take the session — and the belt's control — down with it.
    """

    def __init__(
        self,
        directory: Path,
        clock: Clock,
        *,
        session_id: str | None = None,
        wall_clock: Callable[[], datetime] = _utc_now,
        flush_interval_s: float = FLUSH_INTERVAL_S,
        fsync_interval_s: float = FSYNC_INTERVAL_S,
        fsync_in_thread: bool = True,
    ) -> None:
        if session_id is None:
            session_id = uuid.uuid4().hex[:12]
        elif not _SESSION_ID_RE.fullmatch(session_id):
            raise ValueError(
                f"session id must be 1-64 of A-Z a-z 0-9 _ - (not first), got {session_id!r}"
            )
        for name, interval in (
            ("flush_interval_s", flush_interval_s),
            ("fsync_interval_s", fsync_interval_s),
        ):
            if not (math.isfinite(interval) and interval > 0):
                raise ValueError(f"{name} must be a positive number, got {interval!r}")
        self._directory = Path(directory)
        self._clock = clock
        self._session_id = session_id
        self._wall_clock = wall_clock
        self._flush_interval_s = flush_interval_s
        self._fsync_interval_s = fsync_interval_s
        self._path: Path | None = None
        self._fd: int | None = None
        self._clock_start = 0.0
        self._buffer: list[bytes] = []
        self._last_flush = 0.0
        self._last_written = 0.0  # clock time of the last write that reached the file
        self._last_fsync = 0.0
        self._unsynced = False
        self._closed = False
        self._failed: OSError | None = None
        self._dropped = 0
        # Session time of the first record that never reached the file (a failed write).
        self._lost_from: float | None = None
        self._fsync_in_thread = fsync_in_thread
        # A background fsync in flight, and its error for the next flush to raise. The fd is
        # closed only after joining the thread, so it never fsyncs a closed (or reused) fd.
        self._syncer: threading.Thread | None = None
        self._sync_error: OSError | None = None

    # --- state -------------------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        return self._session_id

    @property
    def path(self) -> Path | None:
        """The log file, once :meth:`start` has created it."""
        return self._path

    @property
    def started(self) -> bool:
        return self._path is not None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def failed(self) -> OSError | None:
        """The write error that stopped this log, or None while it is healthy."""
        return self._failed

    @property
    def lost_from(self) -> float | None:
        """Session time of the first record lost to a failed write (None: nothing lost).

        Everything recorded from then on is missing from the file: what the session's end
        reports as "not recorded"."""
        return self._lost_from

    @property
    def dropped(self) -> int:
        """Records not written because the log had failed."""
        return self._dropped

    @property
    def pending(self) -> int:
        """Lines buffered in memory, not yet written."""
        return len(self._buffer)

    def session_time(self, at: float | None = None) -> float:
        """Seconds since the session start of clock time ``at`` (default: now)."""
        return (self._clock.now() if at is None else at) - self._clock_start

    # --- writing -----------------------------------------------------------------------------

    def start(self, header: Mapping[str, Any]) -> Path:
        """Create the file and write the header; return the file's path.

        ``header`` must hold ``program`` (a dict: at least ``name``; also ``source`` and the
        full description; None in manual mode) and ``limits`` (a :class:`Limits` or its
        ``to_dict()``); ``profile`` (name) and ``treadmill`` (a dict) are optional, and further
        keys are kept as given.
        The header is flushed and fsynced at once: a log without one cannot be read.
        """
        if self._path is not None or self._closed:
            raise RuntimeError(f"session log {self._path or self._session_id} already started")
        missing = [key for key in ("program", "limits") if key not in header]
        if missing:
            raise ValueError(f"session log header needs {' and '.join(missing)}")
        own = sorted(_HEADER_OWN_FIELDS & set(header))
        if own:
            raise ValueError(f"the recorder sets {', '.join(own)} itself")
        program = header["program"]
        if program is not None and not (isinstance(program, Mapping) and "name" in program):
            raise ValueError("header 'program' must be a dict with at least a 'name', or None")
        started_at = self._wall_clock()
        if started_at.tzinfo is None:
            raise ValueError("wall_clock must return an aware datetime (e.g. datetime.now(UTC))")
        started_at = started_at.astimezone(UTC)
        self._clock_start = self._clock.now()

        limits = header["limits"]
        fields: dict[str, Any] = {
            "kind": "header",
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "session_id": self._session_id,
            "app_version": treadctl.__version__,
            "started_at": started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "clock_start": self._clock_start,
            "program": header["program"],
            "limits": limits.to_dict() if isinstance(limits, Limits) else limits,
            "profile": header.get("profile"),
            "treadmill": header.get("treadmill"),
        }
        fields.update((k, v) for k, v in header.items() if k not in fields)
        line = _encode(fields)  # before creating the file: a bad header leaves nothing behind

        name = f"{started_at:%Y%m%dT%H%M%SZ}_{self._session_id}.jsonl"
        try:
            self._path = self._open(name)
        except OSError as exc:
            # A folder that cannot hold the log (read-only, under a regular file, full): one
            # error of the recorder's family, so the session can refuse to start on it.
            raise SessionLogError(
                f"cannot create the session log here: {exc.strerror or exc}",
                path=self._directory / name,
            ) from None
        self._buffer.append(line)
        self._last_flush = self._last_fsync = self._last_written = self._clock_start
        self.flush(fsync=True)
        return self._path

    def _open(self, name: str) -> Path:
        if not self._directory.is_dir():
            self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # A directory we create holds only our logs: owner only, whatever the umask.
            # One that already exists (a --log-dir the user named) keeps its mode.
            self._directory.chmod(0o700)
        path = self._directory / name
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_BINARY", 0)
        self._fd = os.open(path, flags, 0o600)
        return path

    def record(self, kind: str, *, at: float | None = None, **fields: Any) -> None:
        """Append a record of ``kind`` at clock time ``at`` (default: now) to the buffer.

        ``kind`` is lower_snake_case and not ``header``/``end``; ``t`` is filled in as
        seconds since the session start. Values must be JSON-able (enums, dataclasses, bytes
        and paths are converted).
        """
        if not _KIND_RE.fullmatch(kind) or kind in _RESERVED_KINDS:
            raise ValueError(f"invalid record kind {kind!r}")
        own = sorted(_RECORD_OWN_FIELDS & set(fields))
        if own:
            raise ValueError(f"the recorder sets {', '.join(own)} itself")
        self._append({"kind": kind, "t": self.session_time(at), **fields})
        self.flush_if_due()

    def _append(self, record: Mapping[str, Any]) -> None:
        if self._path is None:
            raise RuntimeError("session log not started: call start() first")
        if self._closed:
            raise RuntimeError(f"session log {self._path} is closed")
        line = _encode(record)  # raises on a non-JSON-able value even when failed
        if self._failed is not None:
            self._dropped += 1
            return
        self._buffer.append(line)

    def sample(
        self,
        *,
        speed_kmh: float | None,
        incline_pct: float | None,
        distance_m: float | None,
        elapsed_s: float | None,
        energy_kcal: float | None,
        heart_rate_bpm: int | None,
        direction: Direction,
        segment: int | None,
        at: float | None = None,
        **fields: Any,
    ) -> None:
        """One measurement. ``None`` means not measured; ``segment`` is the segment index."""
        self.record(
            "sample",
            at=at,
            speed_kmh=speed_kmh,
            incline_pct=incline_pct,
            distance_m=distance_m,
            elapsed_s=elapsed_s,
            energy_kcal=energy_kcal,
            heart_rate_bpm=heart_rate_bpm,
            direction=direction,
            segment=segment,
            **fields,
        )

    def command(
        self,
        op: str,
        value: float | None = None,
        *,
        result: str | None = None,
        error: str | None = None,
        at: float | None = None,
        **fields: Any,
    ) -> None:
        """A control-point command and how it ended: exactly one of ``result`` and ``error``."""
        if (result is None) == (error is None):
            raise ValueError("a command record needs exactly one of result and error")
        self.record("command", at=at, op=op, value=value, result=result, error=error, **fields)

    def notice(self, kind: str, message: str, *, at: float | None = None, **fields: Any) -> None:
        """Something the user was told (a clamp, a heart-rate slow-down, a rest reminder ...)."""
        self.record("notice", at=at, notice=kind, message=message, **fields)

    def segment(
        self,
        *,
        index: int,
        label: str | None,
        direction: Direction,
        target_speed_kmh: float | None,
        target_incline_pct: float | None,
        at: float | None = None,
        **fields: Any,
    ) -> None:
        """A program segment starts (``index`` counts from 0 in the flattened program)."""
        self.record(
            "segment",
            at=at,
            index=index,
            label=label,
            direction=direction,
            target_speed_kmh=target_speed_kmh,
            target_incline_pct=target_incline_pct,
            **fields,
        )

    def status(self, status: str, *, at: float | None = None, **fields: Any) -> None:
        """The treadmill reported a status change (``stopped_by_user``, ``safety_key`` ...)."""
        self.record("status", at=at, status=status, **fields)

    def close(
        self, reason: str, summary: Mapping[str, Any] | None = None, *, at: float | None = None
    ) -> None:
        """Write the ``end`` record, flush, fsync and close. Closing twice does nothing.

        ``reason`` is ``"completed"``, ``"stopped"``, ``"aborted"`` or another short word (see
        docs/session-log.md); ``summary`` is the session's totals, as the owner computed them.
        Never started: nothing to write, just marked closed.
        """
        if self._closed:
            return
        try:
            if self._path is not None:
                self._append(
                    {
                        "kind": "end",
                        "t": self.session_time(at),
                        "reason": reason,
                        "summary": dict(summary or {}),
                    }
                )
                self.flush(fsync=True)
        finally:
            self._closed = True
            self._join_syncer(raise_error=False)  # reported already, or by the flush above
            if self._fd is not None:
                fd, self._fd = self._fd, None
                os.close(fd)

    # --- flushing ----------------------------------------------------------------------------

    def flush_if_due(self) -> bool:
        """Flush if ``flush_interval_s`` of clock time has passed since the last flush.

        Returns whether it wrote. Cheap when not due: call it from any periodic tick.
        """
        if self._fd is None or self._failed is not None:
            return False
        if self._clock.now() - self._last_flush < self._flush_interval_s:
            return False
        self.flush()
        return True

    def flush(self, *, fsync: bool | None = None) -> None:
        """Write the buffer now; fsync when ``fsync`` is True (inline, after any in flight), or
        by default when it is due (on the recorder's thread with ``fsync_in_thread``)."""
        if self._fd is None or self._failed is not None:
            return
        now = self._clock.now()
        self._last_flush = now
        try:
            if self._sync_error is not None:
                raise self._sync_error
            if self._buffer:
                self._write_all(b"".join(self._buffer))
                self._buffer.clear()
                self._unsynced = True
                self._last_written = now
            due = fsync is None and now - self._last_fsync >= self._fsync_interval_s
            if self._unsynced and (fsync or due):
                if fsync or not self._fsync_in_thread:
                    self._join_syncer()
                    os.fsync(self._fd)
                    self._unsynced = False
                    self._last_fsync = now
                elif self._syncer is None or not self._syncer.is_alive():
                    # One at a time: while one is in flight, the next due flush tries again.
                    self._unsynced = False
                    self._last_fsync = now
                    self._syncer = threading.Thread(
                        target=self._fsync_in_background,
                        args=(self._fd,),
                        name=f"session-log-fsync-{self._session_id}",
                        daemon=True,
                    )
                    self._syncer.start()
        except OSError as exc:
            self._failed = exc
            # The buffer held what was recorded since the last flush that wrote: lost with it.
            self._lost_from = self.session_time(self._last_written)
            self._dropped += len(self._buffer)
            self._buffer.clear()
            raise SessionLogError(f"cannot write: {exc}", path=self._path) from exc

    def _fsync_in_background(self, fd: int) -> None:
        try:
            os.fsync(fd)
        except OSError as exc:
            self._sync_error = exc

    def _join_syncer(self, *, raise_error: bool = True) -> None:
        syncer, self._syncer = self._syncer, None
        if syncer is not None:
            syncer.join()
        if raise_error and self._sync_error is not None:
            error, self._sync_error = self._sync_error, None
            raise error

    def wait_synced(self) -> None:
        """Return once a background fsync in flight has finished (for tests and tools); its
        error, if it failed, is raised (OSError)."""
        self._join_syncer()

    def _write_all(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            # os.write may write less than asked (a signal, a nearly full disk): go on from there.
            written = os.write(self._fd, view)
            view = view[written:]

    async def run_flusher(self) -> None:
        """Flush every ``flush_interval_s`` of clock time until the log is closed.

        Run it as a task next to the session; it returns once the log is closed (or failed:
        the SessionLogError is raised from the task). Cancelling it is fine too.
        """
        deadline = self._clock.now()
        while not self._closed and self._failed is None:
            deadline += self._flush_interval_s
            await self._clock.sleep_until(deadline)
            if self._closed:
                return
            self.flush()

    # --- context manager ---------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        if exc is None:
            # The owner left without saying why: record that honestly rather than guess.
            self.close("unknown")
        else:
            self.close("aborted", {"error": f"{type(exc).__name__}: {exc}"})


# --------------------------------------------------------------------------------------------
# Reading


@dataclasses.dataclass(frozen=True, slots=True)
class BadLine:
    """A line :func:`read_session_log` could not use. ``line`` is 1-based."""

    line: int
    error: str
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class SessionLog:
    """A session log read back.

    ``records`` are everything between the header and the end record, in file order;
    ``end`` is None when the log stops without one (a crash, a kill, a log still being
    written). ``cut_line`` is the number of a last line that was cut mid-write and ignored;
    ``bad_lines`` are lines skipped with ``skip_bad_lines=True``. ``record_lines`` and
    ``end_line`` are the 1-based line numbers of ``records`` and ``end``, for messages.
    """

    path: Path
    header: dict[str, Any]
    records: list[dict[str, Any]]
    end: dict[str, Any] | None
    cut_line: int | None = None
    bad_lines: tuple[BadLine, ...] = ()
    record_lines: tuple[int, ...] = ()
    end_line: int | None = None

    @property
    def interrupted(self) -> bool:
        """True when the session never wrote its end record."""
        return self.end is None

    @property
    def session_id(self) -> str:
        return str(self.header["session_id"])

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """The records of one kind, in order (e.g. ``log.of_kind("sample")``)."""
        return [record for record in self.records if record["kind"] == kind]


def _bounded_int(text: str) -> int:
    # json.loads turns any run of digits into an int; Python refuses past 4300 digits with a
    # message about sys.set_int_max_str_digits, and math.isfinite() overflows well before.
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number of more than {MAX_INT_DIGITS} digits")
    return int(text)


def _depth_over(value: object, limit: int) -> bool:
    """True when ``value`` nests lists and objects deeper than ``limit`` (walked without
    recursion, so the check cannot itself run out of stack)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _parse_line(raw: bytes) -> dict[str, Any]:
    """One line as a record dict; ValueError with a short reason if it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        value = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        # The C decoder stops at Python's recursion limit; nothing the recorder writes comes
        # within a hundredth of it.
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    # Only a line with that many brackets can nest that deep: most lines skip the walk.
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth_over(value, MAX_DEPTH):
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, found {type(value).__name__}")
    kind = value.get("kind")
    if not isinstance(kind, str):
        raise ValueError("the record has no 'kind'")
    if kind != "header":
        t = value.get("t")
        if not isinstance(t, int | float) or isinstance(t, bool) or not math.isfinite(t):
            raise ValueError(
                f"a {short_repr(kind)} record needs a number 't', found {short_repr(t)}"
            )
    return value


def short_repr(value: object) -> str:
    """``repr`` cut short, for messages: a hand-edited field can be megabytes long."""
    return _REPR.repr(value)


_REPR = reprlib.Repr(maxlevel=3, maxstring=60, maxother=60, maxlist=6, maxdict=6)


@dataclasses.dataclass(frozen=True, slots=True)
class _LongLine:
    """A line longer than :data:`MAX_LINE_BYTES`: its length, not its bytes, is kept."""

    size: int


def _read_lines(path: Path) -> tuple[list[bytes | _LongLine], bool, bool]:
    """The file's lines (no newline), each read at most :data:`MAX_LINE_BYTES` at a time.

    Returns (lines, ends_cleanly, empty). A file system may extend a file before the data
    lands: a tail of NUL bytes is not a line, and a file that has one did not end cleanly.
    """
    lines: list[bytes | _LongLine] = []
    last_had_newline = True
    empty = True
    with path.open("rb") as file:
        while raw := file.readline(MAX_LINE_BYTES + 1):
            empty = False
            last_had_newline = raw.endswith(b"\n")
            if len(raw) <= MAX_LINE_BYTES or (last_had_newline and len(raw) == MAX_LINE_BYTES + 1):
                lines.append(raw.removesuffix(b"\n"))
                continue
            size = len(raw)
            # Too long: read on to its end in bounded pieces, keeping only the count.
            while not last_had_newline and (more := file.readline(MAX_LINE_BYTES)):
                size += len(more)
                last_had_newline = more.endswith(b"\n")
            lines.append(_LongLine(size - last_had_newline))
    ends_cleanly = last_had_newline
    if lines and not last_had_newline and isinstance(lines[-1], bytes):
        lines[-1] = lines[-1].rstrip(b"\0")
        if not lines[-1]:
            lines.pop()  # only zeros after the last newline
    return lines, ends_cleanly, empty


def _check_header(path: Path, header: dict[str, Any]) -> None:
    if header.get("kind") != "header" or header.get("format") != FORMAT_NAME:
        raise SessionLogError(
            f"not a treadctl session log (the first line is not a {FORMAT_NAME} header)",
            path=path,
            line=1,
        )
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionLogError(f"invalid format version {short_repr(version)}", path=path, line=1)
    if version > FORMAT_VERSION:
        raise SessionLogError(
            f"written by a newer treadctl (format version {version}); this one reads up to "
            f"version {FORMAT_VERSION}: update treadctl to read it",
            path=path,
            line=1,
        )
    if not isinstance(header.get("session_id"), str):
        raise SessionLogError("the header has no session_id", path=path, line=1)


def read_session_log(path: Path, *, skip_bad_lines: bool = False) -> SessionLog:
    """Read a session log, tolerating what a crash leaves behind.

    A last line cut mid-write (no newline at the end of the file, not valid JSON; also a tail of
    NUL bytes, which some filesystems leave after a power cut) is ignored and reported as
    ``cut_line``. Any other unusable line raises :class:`SessionLogError` naming the file and
    line — or, with ``skip_bad_lines=True``, is skipped and listed in ``bad_lines`` so the
    rest of the session is kept. A bad or missing header always raises: without it nothing
    else can be interpreted. Blank lines are ignored.

    Bounded: a line is read at most :data:`MAX_LINE_BYTES` at a time (a longer one is a bad
    line, never held whole), JSON nested deeper than :data:`MAX_DEPTH` or holding an integer
    of more than :data:`MAX_INT_DIGITS` digits is a bad line. An unreadable file raises
    ``OSError``.
    """
    path = Path(path)
    lines, ends_cleanly, empty = _read_lines(path)

    header: dict[str, Any] | None = None
    records: list[dict[str, Any]] = []
    record_lines: list[int] = []
    end: dict[str, Any] | None = None
    end_line: int | None = None
    cut_line: int | None = None
    bad_lines: list[BadLine] = []

    for index, raw in enumerate(lines):
        number = index + 1
        is_last = index == len(lines) - 1
        if header is not None and isinstance(raw, bytes) and not raw.strip():
            continue
        try:
            if isinstance(raw, _LongLine):
                raise ValueError(
                    f"a line of {raw.size} bytes, longer than the limit of {MAX_LINE_BYTES}"
                )
            record = _parse_line(raw)
        except ValueError as exc:
            if header is None:
                what = "the file is empty" if empty else f"unreadable header: {exc}"
                raise SessionLogError(what, path=path, line=number) from None
            if is_last and not ends_cleanly:
                cut_line = number  # the writer died mid-line: expected after a crash
                break
            problem = str(exc)
        else:
            if header is None:
                _check_header(path, record)
                header = record
                continue
            if record["kind"] == "header":
                problem = "a second header"
            elif end is not None:
                problem = f"a {short_repr(record['kind'])} record after the end record"
            elif record["kind"] == "end":
                end, end_line = record, number
                continue
            else:
                records.append(record)
                record_lines.append(number)
                continue
        if not skip_bad_lines:
            raise SessionLogError(
                # Said to a person (history, export): an API hint (skip_bad_lines) is not theirs.
                f"corrupt line: {problem}",
                path=path,
                line=number,
            )
        text = "" if isinstance(raw, _LongLine) else raw.decode("utf-8", "replace")
        bad_lines.append(BadLine(number, problem, text))

    if header is None:
        raise SessionLogError("the file is empty: no header", path=path, line=1)
    return SessionLog(
        path, header, records, end, cut_line, tuple(bad_lines), tuple(record_lines), end_line
    )
