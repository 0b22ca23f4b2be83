"""Strava: OAuth with the local redirect, token refresh, uploads and their polls, duplicates,
server errors, rate limits and time-outs — against the local stand-in for Strava."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.treadctl.upload.services import Scripted
from tests.treadctl.upload.support import World, approve, browse
from treadctl.store import Store
from treadctl.upload import (
    Accounts,
    AuthorizationError,
    Service,
    State,
    connect_strava,
    external_id_for,
)
from treadctl.upload.queue import backoff_s
from treadctl.upload.strava import (
    POLL_INTERVAL_S,
    POLL_LIMIT,
    StravaClient,
    authorization_url,
    duplicate_activity_id,
    rate_limit_reset,
)


def client(world: World) -> StravaClient:
    uploader = world.uploader()
    return uploader.strava


# --- OAuth -------------------------------------------------------------------------------------


def test_the_authorization_url_asks_to_upload_and_comes_back_here(world: World) -> None:
    url = authorization_url(world.config, "12345", "http://127.0.0.1:8765/x", "st4te")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{world.strava.url}/oauth/authorize"
    assert parse_qs(parts.query) == {
        "client_id": ["12345"],
        "redirect_uri": ["http://127.0.0.1:8765/x"],
        "response_type": ["code"],
        "approval_prompt": ["auto"],
        "scope": ["activity:write"],
        "state": ["st4te"],
    }


def test_connecting_runs_the_whole_flow_and_keeps_the_tokens_privately(world: World) -> None:
    shown: list[str] = []

    def browser(url: str) -> None:
        shown.append(url)
        status, page = browse(url)  # approve; Strava sends the browser back to 127.0.0.1
        assert status == 200 and "You can close this tab" in page

    accounts = Accounts(world.folder)
    connected = connect_strava(
        accounts, world.ana(), "12345", "s3cret", strava=client(world), show_url=browser
    )
    assert len(shown) == 1
    query = parse_qs(urlsplit(shown[0]).query)
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    assert query["approval_prompt"] == ["force"]
    # The exchange used the code the redirect brought back, with the app's id and secret.
    (exchange,) = world.strava.of("POST", "/oauth/token")
    assert exchange.fields["grant_type"] == "authorization_code"
    assert exchange.fields["client_id"] == "12345"
    assert exchange.fields["code"].startswith("code-")
    assert connected.strava is not None
    tokens = connected.strava.tokens
    assert tokens.access_token in world.strava.access
    assert tokens.athlete_id == "4242" and tokens.athlete_name == "Ana Runner"
    assert tokens.scope == "read,activity:write"
    # Kept: read back by a new Accounts, from a file only its owner can read.
    assert Accounts(world.folder).load(world.ana()).strava == connected.strava
    path = accounts.path(world.ana())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_connecting_without_the_upload_permission_keeps_nothing(world: World) -> None:
    world.strava.allowed_scope = "read"  # the person unticked "upload your activities"
    with pytest.raises(AuthorizationError, match=r"without permission to upload.*activity:write"):
        connect_strava(
            Accounts(world.folder),
            world.ana(),
            "12345",
            "s3cret",
            strava=client(world),
            show_url=approve,
        )
    assert Accounts(world.folder).load(world.ana()).strava is None
    assert world.strava.of("POST", "/oauth/token") == []


def test_a_wrong_client_secret_is_the_services_sentence(world: World) -> None:
    from treadctl.upload import ServiceError

    with pytest.raises(ServiceError) as caught:
        connect_strava(
            Accounts(world.folder),
            world.ana(),
            "12345",
            "not-the-secret",
            strava=client(world),
            show_url=approve,
        )
    assert caught.value.status == 401
    assert str(caught.value).startswith(
        "Strava refused the authorization code (HTTP 401): Bad Request; Application invalid"
    )
    assert "not-the-secret" not in str(caught.value)


def test_a_cancelled_connect_keeps_nothing_even_if_the_browser_came_back(world: World) -> None:
    from treadctl.upload.oauth_redirect import CANCELLED, Cancellation

    cancellation = Cancellation()

    def approve_then_cancel(url: str) -> None:
        approve(url)  # the browser is back, and the person pressed Cancel meanwhile
        cancellation.cancel()

    with pytest.raises(AuthorizationError, match=CANCELLED):
        connect_strava(
            Accounts(world.folder),
            world.ana(),
            "12345",
            "s3cret",
            strava=client(world),
            show_url=approve_then_cancel,
            cancel=cancellation,
        )
    assert world.strava.of("POST", "/oauth/token") == []  # the code was never exchanged
    assert Accounts(world.folder).load(world.ana()).strava is None


# --- uploads -----------------------------------------------------------------------------------


def test_an_upload_is_sent_polled_and_recorded_done(world: World) -> None:
    world.connect_strava()
    world.strava.processing_polls = 3
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.state is State.DONE
    (activity_id,) = world.strava.activities
    assert state.activity_id == str(activity_id)
    assert state.activity_url == f"{world.strava.url}/activities/{activity_id}"
    assert state.attempts == 1
    # One file sent, then polled once a second (Strava's advice) until it was ready.
    (sent,) = world.strava.of("POST", "/api/v3/uploads")
    assert len(world.strava.of("GET", "/api/v3/uploads/")) == 4
    assert world.clock.slept == [POLL_INTERVAL_S] * 4
    assert sent.fields["data_type"] == "fit"
    assert sent.fields["external_id"] == external_id_for("s1")
    assert sent.fields["trainer"] == "1"
    assert sent.fields["name"] == "Export test"
    assert "backward 0.3 min" in sent.fields["description"]
    assert sent.files["file"][8:12] == b".FIT"
    # The token travels in the Authorization header, never in an address.
    assert sent.headers["authorization"].startswith("Bearer access-")
    assert all(not s.query for s in world.strava.requests)


def test_the_same_session_twice_is_one_activity(world: World) -> None:
    world.connect_strava()
    first = world.uploader().upload("s1", Service.STRAVA)
    # Asked again (the row says done: nothing is sent) …
    again = world.uploader().upload("s1", Service.STRAVA)
    assert again == first
    assert len(world.strava.of("POST", "/api/v3/uploads")) == 1
    # … and a queue that lost its row sends the same external id and file: a duplicate.
    world.store.execute("DELETE FROM uploads")
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.state is State.DUPLICATE
    assert state.activity_id == first.activity_id
    assert state.activity_url == first.activity_url
    assert len(world.strava.activities) == 1


def test_a_crash_between_sent_and_recorded_makes_no_second_activity(world: World) -> None:
    tokens = world.connect_strava()
    uploader = world.uploader()
    # The process claims the row, the file goes out, Strava makes the activity — and the
    # process dies before recording anything.
    uploader.queue.add("s1", Service.STRAVA)
    claimed = uploader.queue.claim("s1", Service.STRAVA)
    assert claimed is not None and claimed.state is State.UPLOADING
    uploader.strava.create_upload(
        tokens.access_token,
        uploader._fit(world.store.session("s1")),  # type: ignore[arg-type]
        external_id=claimed.external_id,
        name="Export test",
        description="",
        filename="x.fit",
    )
    world.store.close()
    assert len(world.strava.activities) == 1
    # Restart: a new store and uploader on the same folder; the dead claim runs out.
    world.clock.advance(16 * 60)
    with Store(world.root) as store:
        (state,) = world.uploader(store).retry_due()
    assert state.state is State.DUPLICATE
    assert state.activity_id == str(next(iter(world.strava.activities)))
    assert state.attempts == 2
    assert len(world.strava.activities) == 1


def test_an_expired_token_is_refreshed_before_the_upload(world: World) -> None:
    old = world.connect_strava(expires_in=60)  # a minute left: less than the margin
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.state is State.DONE
    kinds = [(s.method, s.path) for s in world.strava.requests]
    assert kinds[:2] == [("POST", "/oauth/token"), ("POST", "/api/v3/uploads")]
    refresh = world.strava.requests[0]
    assert refresh.fields["grant_type"] == "refresh_token"
    assert refresh.fields["refresh_token"] == old.refresh_token
    # The new tokens are kept (Strava gave a new refresh token; the old one is dead).
    kept = Accounts(world.folder).load(world.ana()).strava
    assert kept is not None
    assert kept.tokens.refresh_token != old.refresh_token
    assert kept.tokens.refresh_token in world.strava.refresh_tokens
    assert kept.tokens.athlete_name == "Ana Runner"  # kept from before: refresh has no athlete
    assert kept.tokens.expires_at > world.clock.time() + 5 * 3600


def test_a_token_with_time_left_is_not_refreshed(world: World) -> None:
    world.connect_strava(expires_in=3600)
    world.uploader().upload("s1", Service.STRAVA)
    assert world.strava.of("POST", "/oauth/token") == []


def test_a_dead_refresh_token_waits_for_the_account_to_be_connected_again(world: World) -> None:
    world.connect_strava(expires_in=0)
    world.strava.refresh_tokens.clear()  # revoked on strava.com
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.state is State.FAILED
    assert state.failure == "auth" and state.next_try_at is None and state.http_status == 400
    assert state.reason is not None
    assert state.reason.startswith("Strava refused to refresh the access token (HTTP 400)")
    assert "treadctl accounts connect strava" in state.reason
    assert world.uploader().retry_due() == []  # not retried by itself
    # Connected again: the queue wakes it.
    world.connect_strava()
    assert world.uploader().queue.wake(Service.STRAVA) == 1
    (state,) = world.uploader().retry_due()
    assert state.state is State.DONE


@pytest.mark.parametrize(
    ("status", "message"), [(500, "Internal Server Error"), (503, "Service Unavailable")]
)
def test_a_server_error_is_queued_and_retried_after_the_backoff(
    world: World, status: int, message: str
) -> None:
    world.connect_strava()
    world.strava.script.append(Scripted(status, {"message": message}, path_prefix="/api/v3/"))
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.state is State.FAILED and state.failure == "retry"
    assert state.http_status == status
    assert state.reason == f"Strava refused the upload (HTTP {status}): {message}"
    assert state.next_try_at == datetime.fromtimestamp(world.clock.time() + backoff_s(1), UTC)
    assert world.uploader().retry_due() == []  # not yet
    world.clock.advance(backoff_s(1))
    (state,) = world.uploader().retry_due()
    assert state.state is State.DONE and state.attempts == 2
    assert len(world.strava.activities) == 1


def test_a_rate_limit_waits_for_stravas_window(world: World) -> None:
    world.connect_strava()
    world.clock.advance(-world.clock.time() % 900 + 60)  # one minute into a quarter hour
    world.strava.script.append(
        Scripted(
            429,
            {"message": "Rate Limit Exceeded", "errors": []},
            {"X-RateLimit-Limit": "200,2000", "X-RateLimit-Usage": "201,530"},
            path_prefix="/api/v3/uploads",
        )
    )
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.failure == "retry" and state.http_status == 429
    assert "Rate Limit Exceeded" in (state.reason or "")
    # The next quarter hour, 14 minutes away — later than the one-minute backoff.
    assert state.next_try_at == datetime.fromtimestamp(world.clock.time() + 14 * 60, UTC)
    world.clock.advance(14 * 60)
    (state,) = world.uploader().retry_due()
    assert state.state is State.DONE


def test_rate_limit_windows() -> None:
    noon = datetime(2026, 3, 14, 12, 7, 30, tzinfo=UTC).timestamp()
    quarter = datetime(2026, 3, 14, 12, 15, tzinfo=UTC).timestamp()
    midnight = datetime(2026, 3, 15, tzinfo=UTC).timestamp()
    assert rate_limit_reset({}, noon) == quarter
    used_up_today = {"x-ratelimit-limit": "200,2000", "x-ratelimit-usage": "150,2000"}
    assert rate_limit_reset(used_up_today, noon) == midnight
    reads_used_up = {"x-readratelimit-limit": "100,1000", "x-readratelimit-usage": "3,1000"}
    assert rate_limit_reset(reads_used_up, noon) == midnight
    assert rate_limit_reset({"x-ratelimit-usage": "junk"}, noon) == quarter


def test_no_answer_within_the_time_out_is_queued_not_lost(world: World) -> None:
    world.connect_strava()
    world.strava.hang = 1
    state = world.uploader().upload("s1", Service.STRAVA)
    assert world.strava.hung.is_set()
    assert state.state is State.FAILED and state.failure == "retry"
    assert state.reason == (
        f"Strava could not be reached: no answer from {world.strava.url.split('//')[1]} "
        "within 0.5 s"
    )
    assert state.http_status is None and state.next_try_at is not None
    # Still there for a new process, and done at its next try.
    world.store.close()
    world.clock.advance(backoff_s(1))
    with Store(world.root) as store:
        (state,) = world.uploader(store).retry_due()
        assert state.state is State.DONE


def test_a_refused_connection_is_queued(world: World) -> None:
    world.connect_strava()
    world.strava.close()  # Strava is down: nothing listens there any more
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.state is State.FAILED and state.failure == "retry"
    assert (state.reason or "").startswith("Strava could not be reached: 127.0.0.1:")


def test_an_upload_still_processing_is_asked_about_again_not_sent_again(world: World) -> None:
    world.connect_strava()
    world.strava.processing_polls = POLL_LIMIT + 5
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.state is State.UPLOADING and state.upload_ref is not None
    assert state.claimed_at is None and state.next_try_at is not None
    assert "still being processed" in state.describe()
    world.clock.advance(60)
    (state,) = world.uploader().retry_due()
    assert state.state is State.DONE
    assert len(world.strava.of("POST", "/api/v3/uploads")) == 1


def test_a_token_refused_before_its_time_is_refreshed_once(world: World) -> None:
    world.connect_strava()
    world.strava.access.clear()  # ended early (or this computer's clock is wrong)
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.state is State.DONE
    kinds = [(s.method, s.path) for s in world.strava.requests]
    assert kinds[:3] == [
        ("POST", "/api/v3/uploads"),
        ("POST", "/oauth/token"),
        ("POST", "/api/v3/uploads"),
    ]
    assert len(world.strava.activities) == 1


def test_a_token_refused_again_after_the_refresh_waits_for_the_account(world: World) -> None:
    world.connect_strava()
    refused = {
        "message": "Authorization Error",
        "errors": [
            {"resource": "AccessToken", "field": "activity:write_permission", "code": "missing"}
        ],
    }
    for _ in range(2):
        world.strava.script.append(Scripted(401, refused, path_prefix="/api/v3/uploads"))
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.failure == "auth" and state.http_status == 401
    assert state.reason == (
        "Strava refused the upload (HTTP 401): Authorization Error; AccessToken "
        "activity:write_permission missing; connect Strava again: "
        "`treadctl accounts connect strava`"
    )
    assert len(world.strava.of("POST", "/oauth/token")) == 1  # refreshed once, not in a loop


def test_a_file_strava_cannot_use_is_refused_not_retried(world: World) -> None:
    world.connect_strava()
    world.strava.script.append(
        Scripted(
            400,
            {"message": "Bad Request", "errors": [{"resource": "Upload", "field": "file"}]},
            path_prefix="/api/v3/uploads",
        )
    )
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.failure == "refused" and state.next_try_at is None
    assert world.uploader().queue.waiting() == []
    assert "treadctl upload s1 --service strava" in state.describe()


def test_duplicate_messages() -> None:
    html = "a.fit duplicate of <a href='/activities/18260018524' target='_blank'>Run</a>"
    assert duplicate_activity_id(html) == "18260018524"
    assert duplicate_activity_id("a.fit duplicate of activity 77") == "77"
    assert duplicate_activity_id("There was an error processing your activity.") is None


def test_not_connected_is_said_and_waits(world: World) -> None:
    state = world.uploader().upload("s1", Service.STRAVA)
    assert state.failure == "auth"
    assert state.reason == (
        "Ana has no Strava account connected; connect one with "
        "`treadctl accounts connect strava --profile Ana`"
    )


def test_no_secret_is_ever_logged_or_printed(
    world: World, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    accounts = Accounts(world.folder)
    connect_strava(accounts, world.ana(), "12345", "s3cret", strava=client(world), show_url=approve)
    world.clock.advance(6 * 3600)  # the access token has expired: refreshed before the upload
    assert world.uploader().upload("s1", Service.STRAVA).state is State.DONE
    kept = accounts.load(world.ana()).strava
    assert kept is not None
    secrets = ["s3cret", kept.tokens.access_token, kept.tokens.refresh_token, "code-"]
    secrets += [s.fields["refresh_token"] for s in world.strava.of("POST", "/oauth/token")[1:]]
    captured = capfd.readouterr()
    assert "/api/v3/uploads" in caplog.text  # the requests are logged, without their secrets
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in captured.out + captured.err
