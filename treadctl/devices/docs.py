"""The generated parts of ``docs/devices.md``: the vocabulary and the knowledge base's entries.

Shape::

    vocabulary_markdown() -> str         one table row per deviation, from its metadata
    entries_markdown(kb) -> str          one row per knowledge-base entry
    update(path) -> bool                 rewrite the generated sections in place (changed?)
    python -m treadctl.devices.docs      update docs/devices.md

``tests/treadctl/devices/test_docs.py`` fails when the page is not what this would write, so
a deviation added to the vocabulary, or an entry to ``resources/devices.toml``, is documented
in the same commit.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

from treadctl.devices.deviations import DEVIATION_FIELDS, Deviations
from treadctl.devices.knowledge import KnowledgeBase

__all__ = ["DEVICES_DOC", "entries_markdown", "render", "update", "vocabulary_markdown"]

#: docs/devices.md of the repository.
DEVICES_DOC = Path(__file__).resolve().parents[2] / "docs" / "devices.md"

_SECTION = re.compile(
    r"(<!-- generated: (?P<name>\w+) [^>]*-->\n)(?P<body>.*?)(<!-- end of generated -->)",
    re.DOTALL,
)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def vocabulary_markdown() -> str:
    defaults = {f.name: f.default for f in dataclasses.fields(Deviations)}
    rows = [
        "| group | deviation (default) | the device | treadctl |",
        "|---|---|---|---|",
    ]
    for name, spec in DEVIATION_FIELDS.items():
        default = defaults[name]
        shown = "none" if default is None else str(default).lower()
        rows.append(
            f"| {spec.group} | `{name}` ({shown}) | {_cell(spec.device)} | {_cell(spec.link)} |"
        )
    return "\n".join(rows) + "\n"


def entries_markdown(kb: KnowledgeBase) -> str:
    rows = ["| id | device | matched by | deviations | certainty |", "|---|---|---|---|---|"]
    for entry in kb.entries:
        rules = []
        for r in entry.match:
            parts = []
            if r.name_prefixes:
                parts.append("name " + " / ".join(f"`{p}`…" for p in r.name_prefixes))
            parts += [
                f"{key} `{value}`"
                for key, value in (
                    ("manufacturer", r.manufacturer),
                    ("model", r.model),
                    ("firmware", r.firmware),
                )
                if value is not None
            ]
            rules.append(" and ".join(parts))
        matched = "; or ".join(rules) or "nothing (detected at run time, or virtual only)"
        deviations = ", ".join(f"`{k}`" for k in entry.deviations.changed()) or "none"
        rows.append(
            f"| `{entry.id}` | {_cell(entry.device)} | {_cell(matched)} | {deviations} "
            f"| {entry.certainty} |"
        )
    return "\n".join(rows) + "\n"


def _generated(name: str) -> str:
    if name == "vocabulary":
        return vocabulary_markdown()
    if name == "entries":
        return entries_markdown(KnowledgeBase.builtin())
    raise ValueError(f"no generated section {name!r}")


def render(text: str) -> str:
    """``text`` with every generated section written anew."""
    return _SECTION.sub(lambda m: f"{m.group(1)}{_generated(m.group('name'))}{m.group(4)}", text)


def update(path: Path = DEVICES_DOC) -> bool:
    """Rewrite the generated sections of ``path``; whether anything changed."""
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    changed = update()
    print(f"{DEVICES_DOC}: {'updated' if changed else 'already up to date'}")
    sys.exit(0)
