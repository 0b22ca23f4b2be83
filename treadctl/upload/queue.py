"""The upload queue: one row per (session, service) in the history database, so an upload is
never lost and never sent twice.

Shape::

    UploadQueue(store, clock)
     ├── add(session_id, service, again=False) -> UploadState   pending (idempotent)
     ├── claim(session_id, service) -> UploadState | None        → uploading, attempts + 1
     ├── sent(…, upload_ref)             the service took the file; its upload id, to ask later
     ├── processing(…, next_try_at)      sent, not processed yet: ask again then, don't resend
     ├── finish(…, duplicate=, activity_id=, activity_url=)      → done | duplicate
     ├── fail(…, failure, reason, http_status, retry_at)         → failed, next try (or none)
     ├── due() / waiting()               what to try now: automatically / because asked to
     ├── states(session_ids) -> {session_id: [UploadState]}      for the history
     └── wake(service)                   an account connected again: its "auth" failures are due
    external_id_for(session_id)          "treadctl-<session id>": stable, what the service keeps
    backoff_s(attempts)                  60 s, 2 min, 4 min … at most 6 h

Theory of operation. A row's ``status``::

    pending ──claim──► uploading ──finish──► done | duplicate          (final)
       ▲                  │  ▲
       │                  │  └─processing (sent, no activity yet: upload_ref kept, claim
       │                  │              released, next_try_at set; the next claim asks the
       │                  │              service about upload_ref instead of sending again)
       │                  └─fail──► failed(failure, reason, attempts, next_try_at)
       └──── add(again=True) / wake() / the next try ◄───┘

``claim`` is the lock: it is taken in one write transaction, and a row another process has
claimed less than :data:`CLAIM_LEASE_S` ago is left alone, so the app and ``treadctl upload``
never send the same session at once. A claim older than that is a process that died half-way:
the row is taken over. The status is ``uploading`` *before* anything is sent, so a crash
between "sent" and "recorded" leaves ``uploading`` behind; the next try sends again with the
same external id and the same file, the service answers that it already has it, and that is
recorded as ``duplicate`` with the existing activity: never a second activity.

Failures (``treadctl.upload.errors``): ``retry`` is tried again at ``next_try_at`` — backoff
from the attempts, or later if the service said when (a rate limit); ``auth`` waits until the
account is connected again (:meth:`wake`); ``refused`` waits for the person to ask again
(``treadctl upload SESSION``). Nothing is ever deleted, except the rows of a session deleted
on purpose (``forgotten_sessions``): its log is gone, there is nothing left to send.

Why the rows have no foreign key to ``sessions``: ``Store.rebuild`` drops every session row
and imports the logs again; with a cascade, every upload state would go with them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from treadctl.clock import WallClock
from treadctl.store import Store, format_time, parse_time
from treadctl.upload.errors import Failure
from treadctl.upload.services import Service

__all__ = [
    "BACKOFF_FIRST_S",
    "BACKOFF_MAX_S",
    "CLAIM_LEASE_S",
    "State",
    "UploadQueue",
    "UploadState",
    "backoff_s",
    "external_id_for",
]

#: The first retry waits this long; each further one twice as long …
BACKOFF_FIRST_S = 60.0
#: … up to this: a service down for a day is tried four times a day, for as long as it takes.
BACKOFF_MAX_S = 6 * 3600.0
#: A claim this old belongs to a process that died: longer than any upload takes (HTTP
#: time-outs of 30 s for each of a handful of requests, and Strava's polls).
CLAIM_LEASE_S = 15 * 60.0


class State(StrEnum):
    PENDING = "pending"
    UPLOADING = "uploading"
    DONE = "done"
    FAILED = "failed"
    DUPLICATE = "duplicate"


_FINAL = (State.DONE, State.DUPLICATE)


def external_id_for(session_id: str) -> str:
    """The external id a session is uploaded with: the same for every try and every service,
    so a service can tell a session it already has."""
    return f"treadctl-{session_id}"


def backoff_s(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` tries (1 → 60 s, 2 → 120 s, …)."""
    exponent = min(max(attempts, 1) - 1, 32)  # 2**32 minutes is past the cap anyway
    return min(BACKOFF_FIRST_S * (1 << exponent), BACKOFF_MAX_S)


@dataclass(frozen=True, slots=True)
class UploadState:
    """One row of the queue."""

    session_id: str
    service: Service
    state: State
    external_id: str
    attempts: int
    upload_ref: str | None
    activity_id: str | None
    activity_url: str | None
    failure: Failure | None
    reason: str | None
    http_status: int | None
    next_try_at: datetime | None
    claimed_at: datetime | None
    updated_at: datetime

    @property
    def finished(self) -> bool:
        """Uploaded: the service has the activity (made now, or already there)."""
        return self.state in _FINAL

    def describe(self) -> str:
        """One line for a person: ``"Strava: done, https://…"``, ``"intervals.icu: failed
        after 2 tries (…); next try 2026-03-14 10:15 UTC"``."""
        title = self.service.label
        where = self.activity_url or (
            f"activity {self.activity_id}" if self.activity_id else "activity unknown"
        )
        match self.state:
            case State.DONE:
                return f"{title}: uploaded, {where}"
            case State.DUPLICATE:
                return f"{title}: already there, {where}"
            case State.PENDING:
                return f"{title}: waiting to be uploaded"
            case State.UPLOADING:
                if self.claimed_at is None and self.next_try_at is not None:
                    return (
                        f"{title}: sent, still being processed; asked again at "
                        f"{_when(self.next_try_at)}"
                    )
                return f"{title}: uploading (try {self.attempts})"
        tries = f"{self.attempts} tr{'y' if self.attempts == 1 else 'ies'}"
        text = f"{title}: failed after {tries} ({self.reason or 'no reason given'})"
        if self.failure == "retry" and self.next_try_at is not None:
            return f"{text}; next try {_when(self.next_try_at)}"
        if self.failure == "auth":
            return f"{text}; tried again once the account is connected again"
        return f"{text}; `treadctl upload {self.session_id} --service {self.service}` tries again"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


_COLUMNS = (
    "session_id, service, status, external_id, attempts, upload_ref, activity_id, "
    "activity_url, failure, reason, http_status, next_try_at, claimed_at, updated_at"
)


def _state_of(row: Sequence[Any]) -> UploadState:
    return UploadState(
        session_id=row[0],
        service=Service(row[1]),
        state=State(row[2]),
        external_id=row[3],
        attempts=int(row[4]),
        upload_ref=row[5],
        activity_id=row[6],
        activity_url=row[7],
        failure=row[8],
        reason=row[9],
        http_status=row[10],
        next_try_at=None if row[11] is None else parse_time(row[11]),
        claimed_at=None if row[12] is None else parse_time(row[12]),
        updated_at=parse_time(row[13]),
    )


class UploadQueue:
    """The ``uploads`` table of ``store`` (see the module docstring). ``clock``: wall time."""

    def __init__(self, store: Store, clock: WallClock) -> None:
        self.store = store
        self.clock = clock

    def _stamp(self, seconds: float | None = None) -> str:
        return format_time(
            datetime.fromtimestamp(self.clock.time() if seconds is None else seconds, UTC)
        )

    def get(self, session_id: str, service: Service) -> UploadState | None:
        rows = self.store.execute(
            f"SELECT {_COLUMNS} FROM uploads WHERE session_id = ? AND service = ?",
            (session_id, service.value),
        )
        return _state_of(rows[0]) if rows else None

    def _require(self, session_id: str, service: Service) -> UploadState:
        state = self.get(session_id, service)
        if state is None:
            raise LookupError(f"no upload of {session_id} to {service.label} is queued")
        return state

    def add(self, session_id: str, service: Service, *, again: bool = False) -> UploadState:
        """Queue ``session_id`` for ``service`` (nothing changes if it is queued already).

        ``again=True`` is the person asking: a failed upload becomes due now, whatever its
        failure. A finished one stays finished: it is on the service already.
        """
        now = self._stamp()
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO uploads (session_id, service, status, external_id, "
                "attempts, created_at, updated_at) VALUES (?, ?, 'pending', ?, 0, ?, ?)",
                (session_id, service.value, external_id_for(session_id), now, now),
            )
            if again:
                db.execute(
                    "UPDATE uploads SET status = 'pending', next_try_at = NULL, updated_at = ? "
                    "WHERE session_id = ? AND service = ? AND status = 'failed'",
                    (now, session_id, service.value),
                )
        return self._require(session_id, service)

    def claim(self, session_id: str, service: Service) -> UploadState | None:
        """Take the row to upload it now: ``uploading``, one more attempt. None when it is
        finished, or another process holds it (a claim younger than :data:`CLAIM_LEASE_S`)."""
        now = self.clock.time()
        stale = self._stamp(now - CLAIM_LEASE_S)
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE uploads SET status = 'uploading', attempts = attempts + 1, "
                "claimed_at = ?, next_try_at = NULL, updated_at = ? "
                "WHERE session_id = ? AND service = ? AND status NOT IN ('done', 'duplicate') "
                "AND (claimed_at IS NULL OR claimed_at < ?)",
                (self._stamp(now), self._stamp(now), session_id, service.value, stale),
            )
            claimed = cursor.rowcount == 1
        return self.get(session_id, service) if claimed else None

    def sent(self, session_id: str, service: Service, upload_ref: str) -> None:
        """The service took the file and gave ``upload_ref`` to ask about it: kept at once, so
        a crash from here on asks about it rather than sending again."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE uploads SET upload_ref = ?, updated_at = ? "
                "WHERE session_id = ? AND service = ?",
                (upload_ref, self._stamp(), session_id, service.value),
            )

    def processing(self, session_id: str, service: Service, *, next_try_at: float) -> UploadState:
        """Sent, still being processed by the service: let go of the claim, ask again at
        ``next_try_at``."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE uploads SET status = 'uploading', claimed_at = NULL, next_try_at = ?, "
                "failure = NULL, reason = NULL, http_status = NULL, updated_at = ? "
                "WHERE session_id = ? AND service = ?",
                (self._stamp(next_try_at), self._stamp(), session_id, service.value),
            )
        return self._require(session_id, service)

    def forget_upload_ref(self, session_id: str, service: Service) -> None:
        """The service no longer knows the upload it gave: the next try sends the file."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE uploads SET upload_ref = NULL, updated_at = ? "
                "WHERE session_id = ? AND service = ?",
                (self._stamp(), session_id, service.value),
            )

    def finish(
        self,
        session_id: str,
        service: Service,
        *,
        duplicate: bool,
        activity_id: str | None,
        activity_url: str | None,
    ) -> UploadState:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE uploads SET status = ?, activity_id = ?, activity_url = ?, "
                "claimed_at = NULL, next_try_at = NULL, failure = NULL, reason = NULL, "
                "http_status = NULL, updated_at = ? WHERE session_id = ? AND service = ?",
                (
                    (State.DUPLICATE if duplicate else State.DONE).value,
                    activity_id,
                    activity_url,
                    self._stamp(),
                    session_id,
                    service.value,
                ),
            )
        return self._require(session_id, service)

    def fail(
        self,
        session_id: str,
        service: Service,
        *,
        failure: Failure,
        reason: str,
        http_status: int | None = None,
        retry_at: float | None = None,
    ) -> UploadState:
        """Record a failed try. ``retry``: the next try after the backoff for the attempts
        so far, or at ``retry_at`` if the service asked for later. Otherwise no next try."""
        current = self._require(session_id, service)
        next_try: str | None = None
        if failure == "retry":
            at = self.clock.time() + backoff_s(current.attempts)
            if retry_at is not None and math.isfinite(retry_at):
                at = max(at, retry_at)
            next_try = self._stamp(at)
        with self.store.transaction() as db:
            db.execute(
                "UPDATE uploads SET status = 'failed', failure = ?, reason = ?, http_status = ?, "
                "next_try_at = ?, claimed_at = NULL, updated_at = ? "
                "WHERE session_id = ? AND service = ?",
                (
                    failure,
                    reason,
                    http_status,
                    next_try,
                    self._stamp(),
                    session_id,
                    service.value,
                ),
            )
        return self._require(session_id, service)

    def _drop_forgotten(self) -> None:
        """A session deleted on purpose has no log left to send: its rows go."""
        with self.store.transaction() as db:
            db.execute(
                "DELETE FROM uploads WHERE session_id IN "
                "(SELECT session_id FROM forgotten_sessions)"
            )

    def due(self) -> list[UploadState]:
        """What the queue tries by itself now: pending rows, failures to ``retry`` whose time
        has come, uploads still processing whose time to ask has come, and claims left by a
        process that died. Oldest first."""
        self._drop_forgotten()
        now = self._stamp()
        stale = self._stamp(self.clock.time() - CLAIM_LEASE_S)
        rows = self.store.execute(
            f"SELECT {_COLUMNS} FROM uploads WHERE status = 'pending' "
            "OR (status = 'failed' AND failure = 'retry' AND next_try_at <= ?) "
            "OR (status = 'uploading' AND claimed_at IS NULL "
            "    AND (next_try_at IS NULL OR next_try_at <= ?)) "
            "OR (status = 'uploading' AND claimed_at < ?) "
            "ORDER BY created_at, session_id, service",
            (now, now, stale),
        )
        return [_state_of(row) for row in rows]

    def waiting(self) -> list[UploadState]:
        """What ``treadctl upload --pending`` tries: everything not finished that a retry can
        help, whatever its next try says (the person asked now). Failures that need the
        person — an account to connect again, a file the service refused — are left out."""
        self._drop_forgotten()
        stale = self._stamp(self.clock.time() - CLAIM_LEASE_S)
        rows = self.store.execute(
            f"SELECT {_COLUMNS} FROM uploads WHERE status = 'pending' "
            "OR (status = 'failed' AND failure = 'retry') "
            "OR (status = 'uploading' AND (claimed_at IS NULL OR claimed_at < ?)) "
            "ORDER BY created_at, session_id, service",
            (stale,),
        )
        return [_state_of(row) for row in rows]

    def unfinished(self) -> list[UploadState]:
        """Every row not uploaded yet, whatever its state."""
        rows = self.store.execute(
            f"SELECT {_COLUMNS} FROM uploads WHERE status NOT IN ('done', 'duplicate') "
            "ORDER BY created_at, session_id, service"
        )
        return [_state_of(row) for row in rows]

    def all(self) -> list[UploadState]:
        rows = self.store.execute(
            f"SELECT {_COLUMNS} FROM uploads ORDER BY created_at, session_id, service"
        )
        return [_state_of(row) for row in rows]

    def states(self, session_ids: Iterable[str]) -> dict[str, list[UploadState]]:
        """The upload states of these sessions (for the history): every id given is a key,
        with an empty list when nothing was queued for it."""
        ids = list(dict.fromkeys(session_ids))
        found: dict[str, list[UploadState]] = {session_id: [] for session_id in ids}
        # In chunks: SQLite limits the number of parameters of one statement.
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self.store.execute(
                f"SELECT {_COLUMNS} FROM uploads WHERE session_id IN ({marks}) "
                "ORDER BY session_id, service",
                chunk,
            )
            for row in rows:
                state = _state_of(row)
                found[state.session_id].append(state)
        return found

    def wake(self, service: Service) -> int:
        """An account of ``service`` was connected (again): uploads that failed for want of
        it are due now. Returns how many."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE uploads SET status = 'pending', next_try_at = NULL, updated_at = ? "
                "WHERE service = ? AND status = 'failed' AND failure = 'auth'",
                (self._stamp(), service.value),
            )
            return cursor.rowcount
