"""The HTTP helpers: multipart as a server reads it, a service's words made safe, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.treadctl.upload.services import parse_multipart
from treadctl.upload import ServiceConfig
from treadctl.upload.http import (
    Response,
    failure_of,
    multipart_form,
    retry_after,
    service_message,
)


def test_multipart_reads_back_as_sent() -> None:
    data = bytes(range(256)) * 4  # every byte value, CR and LF among them
    content_type, body = multipart_form(
        {"name": "Backward — intervals", "external_id": "treadctl-x"},
        {"file": ('we"ird\r\nname.fit', "application/octet-stream", data)},
    )
    fields, files = parse_multipart(content_type, body)
    assert fields == {"name": "Backward — intervals", "external_id": "treadctl-x"}
    assert files == {"file": data}


def test_a_services_message_is_its_own_words_without_markup() -> None:
    strava = Response(
        400,
        "Bad Request",
        body=b'{"message": "Bad Request", "errors": [{"resource": "Upload", "field": "file",'
        b' "code": "empty"}]}',
    )
    assert service_message(strava) == "Bad Request; Upload file empty"
    html = Response(502, "Bad Gateway", body=b"<html><body><h1>502\nBad gateway</h1></body>")
    assert service_message(html) == "502 Bad gateway"
    assert service_message(Response(500, "Internal Server Error")) == "Internal Server Error"
    long = Response(500, "x", body=b'{"error": "' + b"a" * 1000 + b'"}')
    assert len(service_message(long)) == 300


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 3, 14, 12, 0, tzinfo=UTC).timestamp()
    assert retry_after({"retry-after": "120"}, now) == now + 120
    date = "Sat, 14 Mar 2026 12:30:00 GMT"
    assert retry_after({"retry-after": date}, now) == now + 1800
    assert retry_after({"retry-after": "soon"}, now) is None
    assert retry_after({}, now) is None


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (500, "retry"),
        (503, "retry"),
        (429, "retry"),
        (408, "retry"),
        (401, "auth"),
        (403, "auth"),
        (400, "refused"),
        (404, "refused"),
        (422, "refused"),
    ],
)
def test_what_the_queue_does_after_each_status(status: int, failure: str) -> None:
    assert failure_of(status) == failure


def test_secrets_never_go_to_another_computer_in_the_clear() -> None:
    assert ServiceConfig(strava_url="http://127.0.0.1:9/").strava_url == "http://127.0.0.1:9"
    assert ServiceConfig(intervals_url="http://localhost:9").intervals_api == (
        "http://localhost:9/api/v1"
    )
    with pytest.raises(ValueError, match="plain http to another computer"):
        ServiceConfig(strava_url="http://strava.example.org")
    with pytest.raises(ValueError, match="not an http"):
        ServiceConfig(intervals_url="ftp://intervals.icu")
    config = ServiceConfig.from_environment({"TREADCTL_STRAVA_URL": "https://proxy.example"})
    assert config.strava_token == "https://proxy.example/oauth/token"
    assert config.intervals_url == "https://intervals.icu"
    assert config.timeout_s == 30
    assert ServiceConfig.from_environment({"TREADCTL_HTTP_TIMEOUT": "2.5"}).timeout_s == 2.5
    with pytest.raises(ValueError, match="TREADCTL_HTTP_TIMEOUT='soon' is not a number"):
        ServiceConfig.from_environment({"TREADCTL_HTTP_TIMEOUT": "soon"})
    with pytest.raises(ValueError, match="time-out must be a positive number"):
        ServiceConfig.from_environment({"TREADCTL_HTTP_TIMEOUT": "0"})
