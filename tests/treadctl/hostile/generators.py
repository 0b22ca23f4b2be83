"""Generated hostile inputs: program files and session logs, as a careless or hostile person
might hand them over. Every generator is driven by a seeded :class:`random.Random`, so a
failing case is named by its seed and index and comes back the same on every run.

A case is a name (``"numbers/huge-int-repeat"``) and the file's bytes. Each family covers one
way input goes wrong: nesting, size, numbers, encodings, types, truncation, random bytes.
Sizes are drawn up to a little past each limit (the 1 MiB program, the 16 MiB log line), but
such big cases are rare: a default run stays within a few seconds.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import NamedTuple

from treadctl.program.parser import MAX_PROGRAM_BYTES
from treadctl.recorder import MAX_LINE_BYTES


class Case(NamedTuple):
    name: str
    data: bytes


# --------------------------------------------------------------------------------------------
# Programs

_DIRECTIONS = ["forward", "backward", "Forward", "sideways", ""]
_SPEEDS = ["4.5 km/h", "3 mph", "13:20 /km", "12:00 /mi", "0 km/h", "4.5", "99 km/h", "-1 km/h"]
_DURATIONS = ["90 s", "5 min", "1 h 10 min", "1:30", "0 s", "25 h", "400 m", "0.1 min"]


def _toml_string(rng: random.Random, text: str) -> str:
    if rng.random() < 0.2:
        return "'" + text.replace("'", "") + "'"
    return json.dumps(text, ensure_ascii=rng.random() < 0.5)


def _segment(rng: random.Random) -> str:
    lines = [f"direction = {_toml_string(rng, rng.choice(_DIRECTIONS))}"]
    lines.append(f"speed = {_toml_string(rng, rng.choice(_SPEEDS))}")
    lines.append(f"duration = {_toml_string(rng, rng.choice(_DURATIONS))}")
    if rng.random() < 0.3:
        lines.append(f'incline = "{rng.randint(-12, 35)} %"')
    if rng.random() < 0.3:
        lines.append(f"label = {_toml_string(rng, 'Walk ' + chr(rng.randint(0x20, 0x2FFF)))}")
    return "\n".join(lines) + "\n"


def valid_program(rng: random.Random) -> str:
    """A program that is usually valid: segments, rests and a block or two."""
    out = ['name = "Generated"\n']
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.6:
            out.append("[[steps]]\n" + _segment(rng))
        elif kind < 0.8:
            out.append(f'[[steps]]\nrest = true\nduration = "{rng.randint(1, 9)} min"\n')
        else:
            out.append(f"[[steps]]\nrepeat = {rng.randint(1, 5)}\n")
            for _ in range(rng.randint(1, 3)):
                out.append("[[steps.steps]]\n" + _segment(rng))
    return "\n".join(out)


def _nest(rng: random.Random, depth: int) -> str:
    shape = rng.choice(["array", "table", "mixed"])
    if shape == "array":
        return "[" * depth + "]" * depth
    if shape == "table":
        return "{a = " * depth + "1" + "}" * depth
    return "[{a = " * (depth // 2) + "1" + "}]" * (depth // 2)


def _depth(rng: random.Random) -> int:
    # Mostly around the limit (64) and Python's recursion limit, sometimes far past both.
    return rng.choice([rng.randint(1, 130), rng.randint(300, 1200), rng.randint(1, 60_000)])


def _program_nesting(rng: random.Random) -> Case:
    base = valid_program(rng)
    where = rng.choice(["top", "step", "header", "dotted", "blocks"])
    if where == "top":
        return Case("nesting/value", (base + f"x = {_nest(rng, _depth(rng))}\n").encode())
    if where == "step":
        text = f'name = "n"\n[[steps]]\n{_segment(rng)}cue = {_nest(rng, _depth(rng))}\n'
        return Case("nesting/step-value", text.encode())
    if where == "header":
        parts = ".".join(["steps"] * rng.randint(1, 3000))
        return Case("nesting/header", f'name = "h"\n[[{parts}]]\n{_segment(rng)}'.encode())
    if where == "dotted":
        key = ".".join(rng.choice(["a", '"b"', "'c'", "steps"]) for _ in range(_depth(rng)))
        return Case("nesting/dotted-key", (base + f"{key} = 1\n").encode())
    depth = rng.choice([rng.randint(1, 15), rng.randint(15, 400)])
    text = 'name = "b"\n'
    for level in range(1, depth + 1):
        text += "[[" + ".".join(["steps"] * level) + f"]]\nrepeat = {rng.randint(1, 3)}\n"
    text += "[[" + ".".join(["steps"] * (depth + 1)) + "]]\n" + _segment(rng)
    return Case("nesting/blocks", text.encode())


def _program_size(rng: random.Random, *, big: bool) -> Case:
    base = valid_program(rng)
    kind = rng.choice(["comment", "label", "steps", "description", "blank"])
    limit = MAX_PROGRAM_BYTES
    target = rng.choice([limit - 1, limit, limit + 1, limit * 3]) if big else rng.randint(1, 5000)
    if kind == "comment":
        pad = "#" + "x" * max(0, target - len(base) - 2) + "\n"
        return Case("size/comment", (base + pad).encode())
    if kind == "label":
        text = f'name = "s"\n[[steps]]\n{_segment(rng)}cue = "{"é" * (target // 2)}"\n'
        return Case("size/long-text", text.encode())
    if kind == "description":
        return Case("size/description", (f'description = "{"d" * target}"\n' + base).encode())
    if kind == "blank":
        return Case("size/blank-lines", (base + "\n" * target).encode())
    step = "[[steps]]\n" + _segment(rng)
    count = max(1, target // len(step))
    return Case("size/many-steps", ('name = "m"\n' + step * count).encode())


def _digits(rng: random.Random) -> str:
    n = rng.choice([rng.randint(1, 30), rng.randint(95, 110), rng.randint(4000, 20_000)])
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(n - 1))


def _program_numbers(rng: random.Random) -> Case:
    digits = _digits(rng)
    number = rng.choice(
        [
            digits,
            "-" + digits,
            "0x" + "F" * rng.randint(1, 20_000),
            "0o" + "7" * rng.randint(1, 5000),
            "0b" + "1" * rng.randint(1, 20_000),
            "nan",
            "+inf",
            "-inf",
            "1e400",
            "-0",
            "1_000_000",
            digits[:50] + "." + digits[:60] + "e-400",
        ]
    )
    where = rng.choice(["repeat", "speed", "duration", "incline", "distance", "name", "rest"])
    if where == "repeat":
        text = f'name = "r"\n[[steps]]\nrepeat = {number}\n[[steps.steps]]\n{_segment(rng)}'
    elif where in ("speed", "duration", "incline", "distance"):
        unit = {"speed": "km/h", "duration": "s", "incline": "%", "distance": "m"}[where]
        value = f'"{number} {unit}"' if rng.random() < 0.8 else number
        other = {"speed": "4 km/h", "duration": "1 min", "incline": "1 %", "distance": "1 km"}
        keys = ["speed", "duration" if where != "distance" else "distance", where]
        body = "".join(
            f"{key} = {value if key == where else json.dumps(other[key])}\n"
            for key in dict.fromkeys(keys)
        )
        text = f'name = "n"\n[[steps]]\ndirection = "forward"\n{body}'
    else:
        text = f"{where} = {number}\n" + valid_program(rng)
    return Case(f"numbers/{where}", text.encode())


def _program_encoding(rng: random.Random) -> Case:
    text = valid_program(rng).replace('name = "Generated"', 'name = "Gé ✓ ＡＮＡ"')
    kind = rng.choice(
        ["utf-16", "utf-16-le", "latin-1", "bom", "overlong", "surrogate", "nul", "cr", "ctrl"]
    )
    if kind in ("utf-16", "utf-16-le"):
        return Case(f"encoding/{kind}", text.encode(kind))
    if kind == "latin-1":
        return Case("encoding/latin-1", text.encode("latin-1", "replace"))
    data = text.encode()
    spot = rng.randint(0, len(data))
    extra = {
        "bom": b"\xef\xbb\xbf",
        "overlong": b"\xc0\xaf",
        "surrogate": b"\xed\xa0\x80",
        "nul": b"\0",
        "cr": b"\r",
        "ctrl": bytes([rng.choice([1, 8, 0x1B, 0x7F])]),
    }[kind]
    if kind == "bom":
        spot = 0
    return Case(f"encoding/{kind}", data[:spot] + extra + data[spot:])


_VALUES = [
    "1",
    "1.5",
    "true",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "1979-05-27",
    "[]",
    "[1, 2]",
    '["4 km/h"]',
    "{}",
    '{speed = "4 km/h"}',
    '""',
    '"   "',
    '"""\nmulti\n"""',
]


def _program_types(rng: random.Random) -> Case:
    key = rng.choice(
        ["name", "description", "steps", "direction", "speed", "incline", "duration",
         "distance", "cue", "rest", "repeat", "label", "inclne", "Speed", ""]
    )  # fmt: skip
    value = rng.choice(_VALUES)
    if rng.random() < 0.1:  # an unknown key, as long as a file allows
        key = "k" * rng.choice([rng.randint(1, 100), rng.randint(1000, 900_000)])
    if key in ("name", "description", "steps"):
        text = valid_program(rng).replace('name = "Generated"', "", 1)
        text = (f"{key} = {value}\n" if key != "name" else f"name = {value}\n") + text
    else:
        quoted = json.dumps(key) if not key.isalpha() else key
        text = f'name = "t"\n[[steps]]\n{_segment(rng)}{quoted} = {value}\n'
    name = key if len(key) <= 20 else f"long-key-{len(key)}"
    return Case(f"types/{name or 'empty-key'}", text.encode())


def _program_truncated(rng: random.Random) -> Case:
    data = valid_program(rng).encode()
    return Case("truncation", data[: rng.randint(0, len(data))])


_TOKENS = ["[", "]", "[[", "]]", "{", "}", "=", ",", ".", '"', "'", '"""', "#", "\n", " ",
           "a", "steps", "repeat", "1", "1e9", "-", "+", "nan", "true", "\\", "\\u00e9",
           "é"]  # fmt: skip


def _program_random(rng: random.Random) -> Case:
    if rng.random() < 0.5:
        return Case("random/bytes", rng.randbytes(rng.randint(0, 400)))
    soup = "".join(rng.choice(_TOKENS) for _ in range(rng.randint(0, 300)))
    return Case("random/tokens", soup.encode())


_PROGRAM_FAMILIES: list[Callable[[random.Random], Case]] = [
    _program_nesting,
    lambda rng: _program_size(rng, big=False),
    _program_numbers,
    _program_encoding,
    _program_types,
    _program_truncated,
    _program_random,
    lambda rng: Case("valid", valid_program(rng).encode()),
]


def program_cases(seed: int, count: int, *, big: int) -> Iterator[Case]:
    """``count`` program files, ``big`` of them around or past the size limit."""
    rng = random.Random(seed)
    for index in range(count):
        if index < big:
            yield _program_size(rng, big=True)
        else:
            yield rng.choice(_PROGRAM_FAMILIES)(rng)


# --------------------------------------------------------------------------------------------
# Session logs


def _json_nest(rng: random.Random, depth: int) -> bytes:
    if rng.random() < 0.5:
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


def _hostile_line(rng: random.Random, *, big: bool) -> tuple[str, bytes]:
    kinds = ["nesting", "number", "encoding", "type", "random", "kind", "constant", "long"]
    kind = "long" if big else rng.choice(kinds)
    if kind == "long":
        size = rng.choice([MAX_LINE_BYTES - 40, MAX_LINE_BYTES + 1]) if big else 100_000
        return "size/long-line", b'{"kind":"sample","t":1.0,"x":"' + b"y" * size + b'"}'
    if kind == "nesting":
        depth = rng.choice([rng.randint(1, 40), rng.randint(900, 1100), rng.randint(1, 200_000)])
        return "nesting", b'{"kind":"sample","t":2.0,"x":' + _json_nest(rng, depth) + b"}"
    if kind == "number":
        digits = _digits(rng).encode()
        field = rng.choice([b"t", b"speed_kmh", b"heart_rate_bpm", b"distance_m", b"x"])
        value = rng.choice([digits, b"-" + digits, digits + b".5", b"1e" + digits[:6]])
        return "numbers", b'{"kind":"sample","t":3.0,"' + field + b'":' + value + b"}"
    if kind == "constant":
        field = rng.choice([b"t", b"speed_kmh", b"distance_m", b"energy_kcal"])
        value = rng.choice([b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1"])
        return "numbers/constant", b'{"kind":"sample","t":4.0,"' + field + b'":' + value + b"}"
    if kind == "encoding":
        text = '{"kind":"notice","t":5.0,"notice":"heart_rate_high","message":"é ✓"}'
        choice = rng.choice(["utf-16", "latin-1", "overlong", "surrogate", "nul", "bom"])
        if choice in ("utf-16", "latin-1"):
            return f"encoding/{choice}", text.encode(choice, "replace")
        extra = {
            "overlong": b"\xc0\xaf",
            "surrogate": b"\xed\xa0\x80",
            "nul": b"\0",
            "bom": b"\xef\xbb\xbf",
        }[choice]
        data = text.encode()
        spot = 0 if choice == "bom" else rng.randint(0, len(data))
        return f"encoding/{choice}", data[:spot] + extra + data[spot:]
    if kind == "type":
        key = rng.choice(
            ["t", "speed_kmh", "distance_m", "direction", "heart_rate_bpm", "notice", "segment"]
        )
        json_value = rng.choice(['"soon"', "true", "null", "[]", "{}", '{"a":[1]}', "-5", '"x"'])
        record = rng.choice(["sample", "notice", "end", "segment"])
        summary = ',"summary":' + rng.choice(["{}", "[]", "1", '{"duration_s":"x"}'])
        return f"types/{record}.{key}", (
            f'{{"kind":"{record}","t":6.0,"{key}":{json_value}'
            + (summary if record == "end" else "")
            + "}"
        ).encode()
    if kind == "kind":
        return "types/kind", rng.choice(
            [b'{"t":1}', b'{"kind":5,"t":1}', b'{"kind":"header","t":1}', b"[]", b"1", b'""']
        )
    return "random/bytes", rng.randbytes(rng.randint(0, 300)).replace(b"\n", b" ")


def _mutate_log(rng: random.Random, base: bytes, *, big: bool) -> Case:
    lines = base.split(b"\n")[:-1]  # the base ends with a newline
    kind = 0.0 if big else rng.random()
    if kind < 0.55:
        name, line = _hostile_line(rng, big=big)
        # Anywhere but the header most of the time; sometimes in its place.
        at = rng.randint(0, len(lines)) if rng.random() < 0.1 else rng.randint(1, len(lines))
        if rng.random() < 0.5 and at < len(lines):
            lines[at] = line
        else:
            lines.insert(at, line)
        data = b"\n".join(lines) + b"\n"
        if rng.random() < 0.2:
            data = data[:-1]  # no final newline: the last line may read as cut by a crash
        return Case(f"line/{name}", data)
    if kind < 0.7:
        return Case("truncation", base[: rng.randint(0, len(base))])
    if kind < 0.78:
        tail = b"\0" * rng.randint(1, 4096)
        return Case("truncation/nul-tail", base[: rng.randint(len(base) // 2, len(base))] + tail)
    if kind < 0.86:
        header = json.loads(lines[0])
        key = rng.choice(["format", "version", "session_id", "started_at", "program", "profile"])
        header[key] = rng.choice([None, 99, -1, "x", [], {}, 1.5, True, "x" * 300])
        lines[0] = json.dumps(header).encode()
        return Case(f"header/{key}", b"\n".join(lines) + b"\n")
    if kind < 0.9:
        return Case("line-endings/crlf", base.replace(b"\n", b"\r\n"))
    if kind < 0.95:
        return Case("empty", rng.choice([b"", b"\n", b"\0" * 100, b"   \n\n"]))
    return Case("random/bytes", rng.randbytes(rng.randint(0, 2000)))


def log_cases(seed: int, count: int, base: bytes, *, big: int) -> Iterator[Case]:
    """``count`` session logs made from ``base`` (a good log), ``big`` of them with one line
    around the line limit."""
    rng = random.Random(seed)
    for index in range(count):
        yield _mutate_log(rng, base, big=index < big)
