"""intervals.icu: upload a FIT file with a personal API key.

Shape::

    IntervalsClient(config, http, clock)
     └── upload(athlete_id, api_key, data, filename=, external_id=, name=, description=)
              -> IntervalsUpload(activity_id, created)
    check_athlete_id(text) -> str       "0", or an id such as "i12345"

What intervals.icu documents and this follows (its API forum thread "API access to
Intervals.icu" by its author, and the OpenAPI description at intervals.icu/api-docs.html):
personal use authenticates with HTTP Basic, user name the literal ``API_KEY`` and password the
key from the bottom of the settings page; ``0`` as the athlete id means "the athlete of this
key"; an activity file is uploaded with ``POST /api/v1/athlete/{id}/activities`` as
``multipart/form-data`` with the file in the part ``file``, and ``name``, ``description`` and
``external_id`` as query parameters. The answer holds the athlete and the activities made
(``{"icu_athlete_id": …, "id": …, "activities": [{"id": …}, …]}``).

Duplicates, as its API reports them: 201 Created when the upload made a new activity, 200 OK
with the activity that already has the same content when it did not (intervals.icu keeps one
activity per file content; seen in integrations that tell the two apart by status). So
sending a session again — a crash between "sent" and "recorded" — gets 200 and the first
activity's id, recorded as a duplicate, and never a second activity.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from treadctl.clock import WallClock
from treadctl.upload.errors import ServiceError
from treadctl.upload.http import Http, Response, error_for, multipart_form
from treadctl.upload.services import Service, ServiceConfig

__all__ = ["IntervalsClient", "IntervalsUpload", "check_athlete_id"]

_ATHLETE_ID = re.compile(r"0|i?[0-9]{1,12}")
_RECONNECT = (
    "check the API key (intervals.icu settings, Developer Settings) and connect again: "
    "`treadctl accounts connect intervals`"
)


def check_athlete_id(text: str) -> str:
    """``text`` as an athlete id (``0``: the key's own athlete), or ``ValueError``."""
    text = text.strip()
    if not _ATHLETE_ID.fullmatch(text):
        raise ValueError(
            f"{text!r} is not an intervals.icu athlete id: use 0 (the key's own athlete) or "
            "the id on your settings page, such as i12345"
        )
    return text


@dataclass(frozen=True, slots=True)
class IntervalsUpload:
    """What an upload made: the activity's id; ``created`` False when intervals.icu already
    had this file (HTTP 200) rather than making a new activity (HTTP 201)."""

    activity_id: str
    created: bool


class IntervalsClient:
    def __init__(self, config: ServiceConfig, http: Http, clock: WallClock) -> None:
        self.config = config
        self.http = http
        self.clock = clock

    def upload(
        self,
        athlete_id: str,
        api_key: str,
        data: bytes,
        *,
        filename: str,
        external_id: str,
        name: str,
        description: str,
    ) -> IntervalsUpload:
        query = urlencode({"name": name, "description": description, "external_id": external_id})
        url = f"{self.config.intervals_api}/athlete/{quote(athlete_id, safe='')}/activities"
        content_type, body = multipart_form(
            {}, {"file": (filename, "application/octet-stream", data)}
        )
        credentials = base64.b64encode(f"API_KEY:{api_key}".encode()).decode("ascii")
        response = self.http.request(
            Service.INTERVALS,
            "POST",
            f"{url}?{query}",
            headers={"Authorization": f"Basic {credentials}", "Content-Type": content_type},
            body=body,
        )
        if response.status not in (200, 201):
            advice = _RECONNECT if response.status in (401, 403) else ""
            raise error_for(Service.INTERVALS, response, now=self.clock.time(), advice=advice)
        activity_id = self._activity_id(response)
        return IntervalsUpload(activity_id=activity_id, created=response.status == 201)

    @staticmethod
    def _activity_id(response: Response) -> str:
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            activities = data.get("activities")
            if isinstance(activities, list) and activities and isinstance(activities[0], dict):
                found = activities[0].get("id")
            else:
                found = data.get("id")
            if isinstance(found, str | int) and not isinstance(found, bool) and found:
                return str(found)
        raise ServiceError(
            Service.INTERVALS,
            response.status,
            "the answer names no activity",
            what="took the upload but",
            failure="retry",
        )
