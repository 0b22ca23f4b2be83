"""Fixtures of the upload tests: a :class:`~tests.treadctl.upload.support.World` per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.treadctl.upload.support import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path)
