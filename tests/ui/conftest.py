"""UI tests: a qasync loop per test, on pytest-qt's QApplication.

Each test runs one coroutine to completion with ``harness.run(loop, coro)``, bounded in real
time; most through ``@harness.with_app(...)``, which takes this fixture and ``tmp_path`` and
runs an ``async def test_x(app)`` inside a new ``AppHarness``.
(``qtbot.waitUntil`` inside a coroutine on this loop would nest event loops and hang: tests
wait on signals through ``tests.ui.harness`` instead.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    # As in the app: closing the window must not end the loop (the world closes after it).
    qapp.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            asyncio.set_event_loop(None)
