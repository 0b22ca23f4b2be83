"""The cyclic garbage collector runs on the Qt thread only (``ui.collector``): a worker
thread's allocations never set it off there, where it would destroy Qt objects."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from ui.collector import GuiThreadCollector


class _InACycle:
    """Garbage only the cyclic collector frees; says on which thread it was freed."""

    freed_on: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        _InACycle.freed_on.append(threading.current_thread().name)


@pytest.fixture
def collector() -> Iterator[GuiThreadCollector]:
    was = gc.isenabled()
    gc.enable()
    gc.collect()
    _InACycle.freed_on = []
    c = GuiThreadCollector()
    c.start()
    yield c
    c.stop()
    if not was:
        gc.disable()


def test_a_workers_allocations_never_collect_there(collector: GuiThreadCollector) -> None:
    assert not gc.isenabled()
    _InACycle()  # garbage in a cycle, waiting for a collection

    kept: list[list[int]] = []

    def allocate() -> None:  # far past the youngest generation's threshold, kept alive
        kept.extend([i] for i in range(50 * gc.get_threshold()[0]))

    worker = threading.Thread(target=allocate, name="worker")
    worker.start()
    worker.join()
    assert _InACycle.freed_on == []  # not freed on the worker
    assert collector.collect_due() > 0
    assert _InACycle.freed_on == [threading.current_thread().name]
    assert collector.collections == 1


def test_nothing_is_collected_before_it_is_due(collector: GuiThreadCollector) -> None:
    gc.collect()
    assert collector.collect_due() == 0 and collector.collections == 0


def test_stop_gives_the_automatic_collector_back(collector: GuiThreadCollector) -> None:
    collector.stop()
    assert gc.isenabled()
    collector.start()
    assert not gc.isenabled()
