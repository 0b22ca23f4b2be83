"""About backward walking: one text, shipped as a resource and copied into the docs, shown from
the Programs page with every point's source; nothing a user reads points elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.harness import AppHarness, with_app
from treadctl.program import builtin_programs
from treadctl.safety import StopReason
from treadctl.session import SessionState
from ui import colors
from ui.guidance_view import GUIDANCE_PATH, TITLE, GuidanceView, guidance_text

ROOT = Path(__file__).resolve().parents[2]
DOCS_COPY = ROOT / "docs" / "backward.md"

# Where a point's origin is named: a numbered source, coaching practice, or the app's own rule.
_TAGS = re.compile(r"\[\d\]|\(coaching practice\)|\(our rule")
# Sections that are not claims with a source: advice in our own voice, and the list itself.
_UNTAGGED = {"Who should be careful", "Sources"}


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _points(section: str) -> list[str]:
    """The section's list items, each with its continuation lines."""
    return [" ".join(item.split()) for item in re.split(r"^- ", section, flags=re.MULTILINE)[1:]]


def test_the_docs_copy_is_the_resource() -> None:
    # The app reads the resource (an installed app has no docs folder); the docs show the same.
    assert GUIDANCE_PATH == ROOT / "resources" / "guidance.md"
    assert DOCS_COPY.read_bytes() == GUIDANCE_PATH.read_bytes(), (
        "docs/backward.md differs from resources/guidance.md: edit the resource, then "
        "cp resources/guidance.md docs/backward.md"
    )


def test_every_point_says_where_it_comes_from() -> None:
    text = guidance_text()
    sections = _sections(text)
    for heading in (
        "Start by walking",
        "How much, how often",
        "Speeds, facing each way",
        "The turnaround",
        "Incline",
        "Long sessions",
        "The energy figure",
        "Who should be careful",
        "Sources",
    ):
        assert heading in sections, heading
    for heading, body in sections.items():
        if heading in _UNTAGGED:
            continue
        points = _points(body)
        assert points, heading
        for point in points:
            assert _TAGS.search(point), f"{heading}: no source for {point!r}"
    # The advice in our own voice says that it is ours.
    assert "our advice, not a finding" in sections["Who should be careful"]


def test_every_cited_source_is_listed_with_where_to_find_it() -> None:
    text = guidance_text()
    body, sources = text.split("\n## Sources\n")
    listed = re.findall(r"^(\d)\. ", sources, flags=re.MULTILINE)
    cited = set(re.findall(r"\[(\d)\]", body))
    assert listed == ["1", "2", "3"]
    assert cited == set(listed)
    entries = [" ".join(e.split()) for e in re.split(r"^\d\. ", sources, flags=re.MULTILINE)[1:]]
    flynn, hreljac, acsm = entries
    assert flynn.startswith("Flynn TW, Connery SM")
    assert "Medicine and Science in Sports and Exercise 1994;26(1):89–94" in flynn
    assert (
        "[doi:10.1249/00005768-199401000-00015](https://doi.org/10.1249/00005768-199401000-00015)"
        in flynn
    )
    assert "<https://pubmed.ncbi.nlm.nih.gov/8133744/>" in flynn
    assert hreljac.startswith("Hreljac A, Imamura R")
    assert "Journal of Sports Science and Medicine 2005;4(4):446–454" in hreljac
    assert "<http://www.jssm.org/" in hreljac
    assert "American College of Sports Medicine" in acsm


def test_the_figures_match_the_limits_they_explain() -> None:
    from treadctl.limits import DEFAULT_LIMITS as d

    text = " ".join(guidance_text().split())
    assert f"the backward speed limit starts at **{d.backward_max_speed_kmh:g} km/h**" in text
    assert f"Forward, the limit starts at {d.forward_max_speed_kmh:g} km/h" in text
    assert f"the incline limit starts at **{d.backward_max_incline_pct:g} %**" in text
    assert f"slows to **{d.turnaround_speed_kmh:g} km/h or less**" in text
    assert f"**{d.turnaround_hold_s:g}-second countdown**" in text
    assert f"begins at {d.start_speed_kmh:g} km/h" in text
    assert f"at most {d.backward_accel_kmh_per_s:g} km/h per second facing backward" in text
    assert f"{d.backward_minutes_per_session:g} to begin with" in text


def test_nothing_a_user_reads_points_to_the_internal_notes() -> None:
    readable = [ROOT / "README.md"]
    for folder in ("docs", "resources", "ui", "treadctl"):
        readable += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.suffix in {".md", ".toml", ".qss", ".py", ".txt"}
        ]
    assert len(readable) > 20
    mentions = [str(p.relative_to(ROOT)) for p in readable if "BACKWARD.md" in p.read_text("utf-8")]
    assert mentions == []


def test_the_descriptions_cite_the_view_by_its_name() -> None:
    for program in builtin_programs():
        assert f'"{TITLE}" (docs/backward.md)' in program.description, program.name


def test_a_missing_text_is_said_not_raised(qapp: QApplication, tmp_path: Path) -> None:
    view = GuidanceView(path=tmp_path / "gone.md")
    assert "could not be read" in view.text()
    assert str(tmp_path / "gone.md") in view.text()


@with_app()
async def test_the_guidance_opens_from_the_programs_page_with_its_sources(
    app: AppHarness,
) -> None:
    app.window.show_page("programs")
    button = app.window.program_view.about_button
    assert button.text() == "About backward walking…"
    assert button.isVisible()
    app.click(button)
    view = app.window.program_view.guidance
    assert view is not None
    assert view.isVisible() and view.isWindow()
    assert view.windowTitle() == "About backward walking — treadctl"
    shown = view.text()
    for words in (
        "About backward walking",
        "Walk backward before you ever jog backward",
        "5.9 km/h",
        "TURN AROUND",
        "60 % and 84 %",
        "Who should be careful",
        "Flynn TW, Connery SM, Smutok MA, Zeballos RJ, Weisman IM",
        "Hreljac A, Imamura R, Escamilla RF, Casebolt J, Sison M",
        "doi:10.1249/00005768-199401000-00015",
    ):
        assert words in shown, words
    assert "**" not in shown and "## " not in shown  # rendered, not shown as Markdown
    html = view.browser.toHtml()
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/8133744/"' in html
    assert 'href="https://doi.org/10.1249/00005768-199401000-00015"' in html
    assert f"color:{colors.FORWARD}" in html  # links readable on the dark background
    assert view.browser.openExternalLinks()
    # It fits the smallest screen the app must fit.
    screen = view.screen().availableGeometry()
    assert view.width() <= screen.width() and view.height() <= screen.height()
    # Asked for again: the same window, not a second one.
    app.click(button)
    assert app.window.program_view.guidance is view


@with_app()
async def test_esc_in_the_guidance_window_stops_the_belt(app: AppHarness) -> None:
    await app.running_program()
    view = app.window.program_view.open_guidance()
    assert view.isVisible()
    stopped = app.expect_state(SessionState.STOPPED)
    app.key(Qt.Key.Key_Escape, view.browser)
    (event,) = await stopped
    assert event.stop_reason is StopReason.ESTOP
    await app.belt_stopped()
