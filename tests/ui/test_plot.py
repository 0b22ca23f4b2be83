"""The live plot's envelope: bounded point count, peaks kept."""

from __future__ import annotations

import numpy as np

from ui.plot import _envelope


def test_envelope_bounds_points_and_keeps_peaks() -> None:
    t = np.arange(216_000) / 10.0
    v = np.full_like(t, 3.0)
    v[123_456] = 9.5  # one spike in six hours
    xs, ys = _envelope(t, v, 800)
    assert len(xs) == len(ys) <= 1600
    assert ys.max() == 9.5 and ys.min() == 3.0
    assert np.all(np.diff(xs) >= 0)


def test_short_series_is_drawn_as_is() -> None:
    t = np.arange(100.0)
    xs, ys = _envelope(t, t * 2, 800)
    assert xs is t and np.array_equal(ys, t * 2)
