"""Upload test support: a data folder with real session logs, the stand-in services, and the
engine pointed at them.

The logs are made as the export tests make them (``tests/treadctl/export/support.write_log``:
through the real :class:`~treadctl.recorder.SessionRecorder`), for the profile ``Ana``, and
imported into a real :class:`~treadctl.store.Store`. Time is a
:class:`~treadctl.clock.ManualWallClock` shared by the engine and the stand-ins (an access
token expires by it; Strava's polls sleep on it, instantly).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from tests.treadctl.export.support import PROGRAM, write_log
from tests.treadctl.upload.services import FakeIntervals, FakeStrava
from treadctl.clock import ManualWallClock
from treadctl.data_folder import DataFolder
from treadctl.profiles import Profile, Profiles
from treadctl.store import Store
from treadctl.upload import Accounts, IntervalsAccount, ServiceConfig, StravaAccount, Uploader
from treadctl.upload.strava import StravaTokens

#: Short enough that a test of a time-out takes a moment, long enough for a loaded machine.
TEST_TIMEOUT_S = 0.5


@dataclass
class World:
    root: Path
    clock: ManualWallClock
    strava: FakeStrava
    intervals: FakeIntervals
    store: Store
    session_ids: list[str] = field(default_factory=list)

    @property
    def folder(self) -> DataFolder:
        return DataFolder.at(self.root)

    @property
    def config(self) -> ServiceConfig:
        return ServiceConfig(
            strava_url=self.strava.url,
            intervals_url=self.intervals.url,
            timeout_s=TEST_TIMEOUT_S,
        )

    def uploader(self, store: Store | None = None) -> Uploader:
        return Uploader(self.folder, store or self.store, config=self.config, clock=self.clock)

    def ana(self, store: Store | None = None) -> Profile:
        return Profiles(store or self.store).get("Ana")

    def add_session(self, session_id: str, *, profile: str = "Ana") -> str:
        path = write_log(self.folder.sessions, PROGRAM, session_id=session_id)
        if profile != "Ana":
            text = path.read_text()
            assert '"profile":"Ana"' in text
            path.write_text(text.replace('"profile":"Ana"', f'"profile":"{profile}"', 1))
        self.store.import_log(path)
        self.session_ids.append(session_id)
        return session_id

    def connect_strava(self, *, expires_in: int | None = None) -> StravaTokens:
        issued = self.strava.issue(expires_in=expires_in)
        tokens = StravaTokens(
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            expires_at=issued["expires_at"],
            athlete_id="4242",
            athlete_name="Ana Runner",
            scope="read,activity:write",
        )
        accounts = Accounts(self.folder)
        current = accounts.load(self.ana())
        accounts.save(replace(current, strava=StravaAccount("12345", "s3cret", tokens)))
        return tokens

    def connect_intervals(self, athlete_id: str = "0", key: str = "k3y-intervals") -> None:
        accounts = Accounts(self.folder)
        current = accounts.load(self.ana())
        accounts.save(replace(current, intervals=IntervalsAccount(athlete_id, key)))


def make_world(tmp_path: Path) -> Iterator[World]:
    clock = ManualWallClock()
    strava = FakeStrava(clock)
    intervals = FakeIntervals(clock)
    root = tmp_path / "data"
    store = Store(root)
    try:
        world = World(root, clock, strava, intervals, store)
        world.add_session("s1")
        yield world
    finally:
        store.close()
        strava.close()
        intervals.close()


def browse(url: str) -> tuple[int, str]:
    """What a browser does with ``url``: GET it, follow redirects; the final status and page."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def approve(url: str) -> None:
    """A browser where the person approves whatever the authorization page asks."""
    browse(url)
