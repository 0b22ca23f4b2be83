"""The bridge's one event → signal mapping: every core event reaches the widgets as a signal."""

from __future__ import annotations

import typing
from pathlib import Path
from types import UnionType
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from treadctl.clock import RealClock
from treadctl.core import AppCore, BleakBackends, CoreEvent, DataFolder, StopAnswered
from ui.bridge import Bridge


def _event_types() -> list[type[Any]]:
    union = CoreEvent
    assert isinstance(union, UnionType)
    return list(typing.get_args(union))


def _an(kind: type[Any]) -> Any:
    """An instance of ``kind`` whose fields are all None but collections (the mapping reads
    the type and passes the fields on)."""
    fields = getattr(kind, "__dataclass_fields__", {})
    return kind(**{name: () if name == "devices" else None for name in fields})


@pytest.mark.parametrize("kind", _event_types(), ids=lambda k: k.__name__)
def test_every_core_event_has_its_signal(kind: type[Any], qtbot: QtBot, tmp_path: Path) -> None:
    bridge = Bridge(AppCore(RealClock(), BleakBackends(), DataFolder.at(tmp_path)))
    if kind is StopAnswered:
        # Not a signal: it releases what a stop held back (tests/ui/test_stop_first.py).
        return
    signal, args = bridge._signal_for(_an(kind))
    heard: list[tuple[Any, ...]] = []
    signal.connect(lambda *a: heard.append(a))
    bridge._on_core_event(_an(kind))
    assert len(heard) == 1 and len(heard[0]) == len(args)


def test_the_signals_are_distinct_per_event(tmp_path: Path) -> None:
    bridge = Bridge(AppCore(RealClock(), BleakBackends(), DataFolder.at(tmp_path)))
    signals = [
        repr(bridge._signal_for(_an(kind))[0]).split(" at ")[0]  # "<...SignalInstance name(args)"
        for kind in _event_types()
        if kind is not StopAnswered
    ]
    # One event, one signal: two events sharing one would mean a widget cannot tell them apart.
    assert len(set(signals)) == len(signals), signals
