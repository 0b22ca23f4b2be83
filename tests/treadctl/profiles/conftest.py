"""Fixtures of the profile tests: a store in a temporary data directory, a log directory,
and ``Profiles`` over the store with adjustable clocks. Sessions come from real session logs
(``write_log`` from test_store)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.treadctl.profiles.support import Now, Ticks
from tests.treadctl.test_store import START
from treadctl.profiles import Profiles
from treadctl.store import Store


@pytest.fixture
def now() -> Now:
    return Now(START - timedelta(days=1))


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


@pytest.fixture
def store(data_dir: Path) -> Any:
    with Store(data_dir) as store:
        yield store


@pytest.fixture
def profiles(store: Store, now: Now, ticks: Ticks) -> Profiles:
    return Profiles(store, now=now, monotonic=ticks)
