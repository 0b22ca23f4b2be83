"""Benchmark: decode the same 100 000 varied Treadmill Data records with ours and with pyftms.

Run on demand (not part of `uv run pytest`):

    uv run python tests/bench/bench_codec.py [--records N] [--repeat K] [--json]

Prints a table; with ``--json`` the last line is one JSON object:
``{"ours_records_per_s": …, "pyftms_records_per_s": …, "ratio": …}``. Target: ratio ≥ 3.
The records are spec-conformant (pyftms rejects trailing bytes) and drawn from a fixed seed so
runs compare; each decoder's figure is the best of ``--repeat`` passes.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import time
from collections.abc import Callable
from typing import Any

from pyftms.models.realtime_data.treadmill import TreadmillData as PyftmsTreadmillData
from pyftms.serializer import get_serializer

from protocols.ftms import _TREADMILL_GROUPS, TreadmillData


def make_records(count: int, seed: int = 1826) -> list[bytes]:
    """Varied, conformant records: each optional field group present with probability 1/2."""
    rng = random.Random(seed)
    records = []
    for _ in range(count):
        kwargs: dict[str, Any] = {"speed_kmh": rng.randrange(0, 2000) / 100}
        for _, group in _TREADMILL_GROUPS[1:]:
            if rng.random() < 0.5:
                for f in group:
                    # Stay below every "not available" value so both decoders see numbers.
                    kwargs[f.name] = f.to_value(rng.randrange(0, min(f.max_raw, 0x7FFE)))
        records.append(bytes(TreadmillData(**kwargs)))
    return records


def rate(decode: Callable[[bytes], object], records: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for data in records:
            decode(data)
        best = min(best, time.perf_counter() - start)
    return len(records) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON last")
    args = parser.parse_args()

    records = make_records(args.records)
    pyftms = get_serializer(PyftmsTreadmillData)

    def pyftms_decode(data: bytes) -> Any:
        return pyftms.deserialize(io.BytesIO(data))

    # Both decoders must agree on every record before their speed means anything.
    for data in records[:1000]:
        ours_speed = TreadmillData.from_bytes(data).speed_kmh or 0.0
        assert abs(ours_speed - pyftms_decode(data).speed_instant) < 1e-9

    ours = rate(TreadmillData.from_bytes, records, args.repeat)
    theirs = rate(pyftms_decode, records, args.repeat)
    ratio = ours / theirs
    print(f"Treadmill Data decode, {len(records):,} records, best of {args.repeat}")
    print(f"{'decoder':<10}{'records/s':>14}")
    print(f"{'ours':<10}{ours:>14,.0f}")
    print(f"{'pyftms':<10}{theirs:>14,.0f}")
    print(f"{'ratio':<10}{ratio:>14.2f}   (target >= 3.0)")
    if args.json:
        print(
            json.dumps(
                {
                    "ours_records_per_s": round(ours),
                    "pyftms_records_per_s": round(theirs),
                    "ratio": round(ratio, 2),
                }
            )
        )


if __name__ == "__main__":
    main()
