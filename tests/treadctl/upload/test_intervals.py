"""intervals.icu: uploads with an API key, duplicates as its API reports them, refusals —
against the local stand-in for intervals.icu."""

from __future__ import annotations

import base64

import pytest

from tests.treadctl.upload.services import Scripted
from tests.treadctl.upload.support import World
from treadctl.store import Store
from treadctl.upload import Service, State, external_id_for
from treadctl.upload.intervals import check_athlete_id
from treadctl.upload.queue import backoff_s


def test_an_upload_with_the_key_makes_an_activity(world: World) -> None:
    world.connect_intervals()
    state = world.uploader().upload("s1", Service.INTERVALS)
    assert state.state is State.DONE
    (activity_id,) = world.intervals.activities
    assert state.activity_id == activity_id
    assert state.activity_url == f"{world.intervals.url}/activities/{activity_id}"
    (sent,) = world.intervals.requests
    # athlete 0: the key's own athlete; name, description and external id as query parameters
    assert sent.path == "/api/v1/athlete/0/activities"
    assert sent.query["external_id"] == external_id_for("s1")
    assert sent.query["name"] == "Export test"
    assert sent.query["description"].startswith("Treadmill, ")
    assert sent.files["file"][8:12] == b".FIT"
    user, _, key = base64.b64decode(sent.headers["authorization"][6:]).decode().partition(":")
    assert (user, key) == ("API_KEY", "k3y-intervals")
    assert world.intervals.activities[activity_id]["external_id"] == external_id_for("s1")


def test_the_same_file_again_is_the_activity_it_already_has(world: World) -> None:
    world.connect_intervals()
    first = world.uploader().upload("s1", Service.INTERVALS)
    world.store.execute("DELETE FROM uploads")  # as if the first answer was never recorded
    again = world.uploader().upload("s1", Service.INTERVALS)
    assert again.state is State.DUPLICATE
    assert again.activity_id == first.activity_id
    assert len(world.intervals.activities) == 1
    assert again.describe() == f"intervals.icu: already there, {first.activity_url}"


def test_an_explicit_athlete_id_is_used(world: World) -> None:
    world.connect_intervals(athlete_id="i77")
    assert world.uploader().upload("s1", Service.INTERVALS).state is State.DONE
    assert world.intervals.requests[0].path == "/api/v1/athlete/i77/activities"


def test_a_wrong_key_waits_for_the_account(world: World) -> None:
    world.connect_intervals(key="not-the-key")
    state = world.uploader().upload("s1", Service.INTERVALS)
    assert state.state is State.FAILED and state.failure == "auth"
    assert state.http_status == 401 and state.next_try_at is None
    assert state.reason == (
        "intervals.icu refused the upload (HTTP 401): Unauthorized; check the API key "
        "(intervals.icu settings, Developer Settings) and connect again: "
        "`treadctl accounts connect intervals`"
    )
    assert "not-the-key" not in (state.reason or "")


def test_another_athletes_id_is_refused(world: World) -> None:
    world.connect_intervals(athlete_id="i78")
    state = world.uploader().upload("s1", Service.INTERVALS)
    assert state.failure == "auth" and state.http_status == 403
    assert "Access denied" in (state.reason or "")


def test_a_server_error_is_retried_from_the_queue_after_a_restart(world: World) -> None:
    world.connect_intervals()
    world.intervals.script.append(Scripted(502, None))
    state = world.uploader().upload("s1", Service.INTERVALS)
    assert state.failure == "retry" and state.http_status == 502
    assert state.reason == "intervals.icu refused the upload (HTTP 502): Bad Gateway"
    world.store.close()
    world.clock.advance(backoff_s(1))
    with Store(world.root) as store:
        (state,) = world.uploader(store).retry_due()
        assert state.state is State.DONE
    assert len(world.intervals.activities) == 1


def test_a_rate_limit_with_retry_after_is_honoured(world: World) -> None:
    world.connect_intervals()
    world.intervals.script.append(
        Scripted(429, {"status": 429, "error": "Too many requests"}, {"Retry-After": "600"})
    )
    state = world.uploader().upload("s1", Service.INTERVALS)
    assert state.failure == "retry"
    assert state.next_try_at is not None
    assert state.next_try_at.timestamp() == world.clock.time() + 600
    world.clock.advance(599)
    assert world.uploader().retry_due() == []
    world.clock.advance(1)
    assert [s.state for s in world.uploader().retry_due()] == [State.DONE]


def test_no_answer_in_time_is_queued(world: World) -> None:
    world.connect_intervals()
    world.intervals.hang = 1
    state = world.uploader().upload("s1", Service.INTERVALS)
    assert state.failure == "retry"
    assert "could not be reached" in (state.reason or "") and "within 0.5 s" in (state.reason or "")
    world.clock.advance(backoff_s(1))
    assert [s.state for s in world.uploader().retry_due()] == [State.DONE]


@pytest.mark.parametrize("text", ["0", "i77", "12345", " i1 "])
def test_athlete_ids(text: str) -> None:
    assert check_athlete_id(text) == text.strip()


@pytest.mark.parametrize("text", ["", "me", "i", "../x", "i77/activities"])
def test_bad_athlete_ids(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not an intervals\.icu athlete id"):
        check_athlete_id(text)
