"""The upload queue: its states, its lock, its backoff, and what a rebuild of the history keeps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.treadctl.upload.support import World
from treadctl.store import SCHEMA_VERSION, Store
from treadctl.upload import Service, State, UploadQueue
from treadctl.upload.queue import BACKOFF_MAX_S, CLAIM_LEASE_S, backoff_s


def queue(world: World, store: Store | None = None) -> UploadQueue:
    return UploadQueue(store or world.store, world.clock)


def test_adding_is_idempotent_and_keeps_a_finished_upload(world: World) -> None:
    q = queue(world)
    first = q.add("s1", Service.STRAVA)
    assert first.state is State.PENDING and first.attempts == 0
    assert first.external_id == "treadctl-s1"
    assert q.add("s1", Service.STRAVA) == first
    q.claim("s1", Service.STRAVA)
    q.finish("s1", Service.STRAVA, duplicate=False, activity_id="9", activity_url="u")
    again = q.add("s1", Service.STRAVA, again=True)
    assert again.state is State.DONE and again.activity_id == "9"


def test_one_claim_at_a_time_until_the_lease_runs_out(world: World) -> None:
    q = queue(world)
    q.add("s1", Service.STRAVA)
    assert q.claim("s1", Service.STRAVA) is not None
    # Another process (another connection to the same database) cannot take it …
    with Store(world.root) as other:
        assert queue(world, other).claim("s1", Service.STRAVA) is None
        world.clock.advance(CLAIM_LEASE_S - 1)
        assert queue(world, other).claim("s1", Service.STRAVA) is None
        # … until the claim is older than the lease: its process died.
        world.clock.advance(2)
        taken = queue(world, other).claim("s1", Service.STRAVA)
    assert taken is not None and taken.attempts == 2


def test_the_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_s(n) for n in range(1, 6)] == [60, 120, 240, 480, 960]
    assert backoff_s(9) == 15360 and backoff_s(10) == BACKOFF_MAX_S == backoff_s(10_000)


def test_a_rebuild_of_the_history_keeps_every_upload_state(world: World) -> None:
    world.add_session("s2")
    q = queue(world)
    q.add("s1", Service.STRAVA)
    q.claim("s1", Service.STRAVA)
    q.finish("s1", Service.STRAVA, duplicate=False, activity_id="123", activity_url="u/123")
    q.add("s2", Service.INTERVALS)
    q.claim("s2", Service.INTERVALS)
    q.fail("s2", Service.INTERVALS, failure="retry", reason="down", http_status=503)
    before = q.all()
    report = world.store.rebuild(world.folder.sessions)
    assert sorted(report.imported) == ["s1", "s2"]
    assert q.all() == before
    assert world.store.session("s1") is not None


def test_upload_states_for_a_list_of_sessions(world: World) -> None:
    world.add_session("s2")
    q = queue(world)
    q.add("s1", Service.STRAVA)
    q.add("s1", Service.INTERVALS)
    found = q.states(["s1", "s2", "s1", "nope"])
    assert list(found) == ["s1", "s2", "nope"]
    assert [s.service for s in found["s1"]] == [Service.INTERVALS, Service.STRAVA]
    assert found["s2"] == [] and found["nope"] == []
    assert len(q.states(f"x{i}" for i in range(1200))) == 1200  # more ids than one statement


def test_a_session_deleted_on_purpose_leaves_the_queue(world: World) -> None:
    world.add_session("s2")
    q = queue(world)
    q.add("s1", Service.STRAVA)
    q.add("s2", Service.STRAVA)
    with world.store.transaction() as db:
        world.store.forget_sessions(db, ["s1"])
    assert [s.session_id for s in q.due()] == ["s2"]
    assert [s.session_id for s in q.all()] == ["s2"]


def test_what_is_due_and_what_waits_for_the_person(world: World) -> None:
    for n in range(2, 6):
        world.add_session(f"s{n}")
    q = queue(world)
    for session_id in ("s1", "s2", "s3", "s4", "s5"):
        q.add(session_id, Service.STRAVA)
        q.claim(session_id, Service.STRAVA)
    q.fail("s1", Service.STRAVA, failure="retry", reason="503")
    q.fail("s2", Service.STRAVA, failure="auth", reason="401")
    q.fail("s3", Service.STRAVA, failure="refused", reason="400")
    q.processing("s4", Service.STRAVA, next_try_at=world.clock.time() + 60)
    # s5 stays claimed (another process is on it)
    assert q.due() == []
    assert [s.session_id for s in q.waiting()] == ["s1", "s4"]
    world.clock.advance(60)
    assert [s.session_id for s in q.due()] == ["s1", "s4"]
    world.clock.advance(CLAIM_LEASE_S)
    assert [s.session_id for s in q.due()] == ["s1", "s4", "s5"]
    assert [s.session_id for s in q.unfinished()] == ["s1", "s2", "s3", "s4", "s5"]
    assert q.wake(Service.STRAVA) == 1
    assert q.get("s2", Service.STRAVA).state is State.PENDING  # type: ignore[union-attr]


def test_a_retry_never_comes_before_what_the_service_asked(world: World) -> None:
    q = queue(world)
    q.add("s1", Service.STRAVA)
    q.claim("s1", Service.STRAVA)
    later = world.clock.time() + 3600
    state = q.fail("s1", Service.STRAVA, failure="retry", reason="429", retry_at=later)
    assert state.next_try_at == datetime.fromtimestamp(later, UTC)


def test_the_descriptions_say_what_to_do(world: World) -> None:
    q = queue(world)
    q.add("s1", Service.INTERVALS)
    assert q.get("s1", Service.INTERVALS).describe() == (  # type: ignore[union-attr]
        "intervals.icu: waiting to be uploaded"
    )
    q.claim("s1", Service.INTERVALS)
    state = q.fail("s1", Service.INTERVALS, failure="retry", reason="down")
    when = datetime.fromtimestamp(world.clock.time() + 60, UTC)
    assert state.describe() == (
        f"intervals.icu: failed after 1 try (down); next try {when:%Y-%m-%d %H:%M} UTC"
    )
    q.claim("s1", Service.INTERVALS)
    state = q.fail("s1", Service.INTERVALS, failure="auth", reason="401")
    assert state.describe().endswith("tried again once the account is connected again")
    assert "2 tries" in state.describe()


def test_the_migration_makes_the_uploads_table(tmp_path: pytest.TempPathFactory) -> None:
    with Store(tmp_path) as store:  # type: ignore[arg-type]
        assert store.schema_version == SCHEMA_VERSION >= 3  # made by migration 3
        columns = [row[1] for row in store.execute("PRAGMA table_info(uploads)")]
        assert columns[:3] == ["session_id", "service", "status"]
        foreign = store.execute("PRAGMA foreign_key_list(uploads)")
        assert foreign == []  # on purpose: a rebuild drops the session rows
