"""docs/devices.md is kept true: its generated sections are what the code would write."""

from __future__ import annotations

from pathlib import Path

from treadctl.devices.deviations import DEVIATION_FIELDS
from treadctl.devices.docs import DEVICES_DOC, render, update
from treadctl.devices.knowledge import KnowledgeBase


def test_the_page_documents_every_deviation_and_every_entry() -> None:
    text = DEVICES_DOC.read_text(encoding="utf-8")
    assert render(text) == text, "run: uv run python -m treadctl.devices.docs"
    for name in DEVIATION_FIELDS:
        assert f"| `{name}` (" in text
    for entry in KnowledgeBase.builtin().entries:
        assert f"| `{entry.id}` |" in text


def test_update_rewrites_only_the_generated_sections(tmp_path: Path) -> None:
    page = tmp_path / "devices.md"
    page.write_text(
        "intro\n<!-- generated: vocabulary (x) -->\nstale\n<!-- end of generated -->\nafter\n"
    )
    assert update(page) is True
    text = page.read_text()
    assert text.startswith("intro\n") and text.endswith("after\n") and "stale" not in text
    assert "`needs_start_before_speed`" in text
    assert update(page) is False
