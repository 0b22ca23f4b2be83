"""The history page: a finished session listed, plotted and exported; weeks of progression.

A session run in the window against the virtual treadmill, and older sessions as logs that
``treadctl run`` would have written (``tests.treadctl.test_store.write_log``), read by the real
store in the test's tmp directory.
"""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from garmin_fit_sdk import Decoder, Stream

from tests.treadctl.test_store import write_log
from tests.ui.harness import AppHarness, run, with_app
from treadctl.store import WeekTotal
from ui.history_view import COLUMNS, fill_weeks


@with_app()
async def test_a_finished_session_is_listed_plotted_and_exported(app: AppHarness) -> None:
    app.add_people("Ana")
    await app.connect()
    await app.choose_person("Ana")
    log_path = await app.short_session()
    await app.choose_person("Ana")  # back from the chooser
    app.window.show_page("history")
    history = app.window.history_view
    assert history.title.text() == "History — Ana"
    (session,) = history.sessions
    assert session.log_path == log_path
    assert history.table.rowCount() == 1
    cells = [history.table.item(0, c) for c in range(len(COLUMNS))]
    row = {COLUMNS[c]: item.text() for c, item in enumerate(cells) if item is not None}
    assert row["Program"] == "Test: one turnaround"
    assert row["Outcome"] == "ended in the app"
    assert row["Distance"].endswith(" m")
    assert row["Backward"] == "0.0 min"
    assert history.selected_session() == session
    assert history.plot.sample_count > 0

    out = app.tmp_path / "exports"
    out.mkdir()
    written: dict[str, Path] = {}
    for fmt in ("csv", "tcx", "fit"):
        path = history.export(fmt, out / f"session.{fmt}")
        assert path == out / f"session.{fmt}" and path.stat().st_size > 0
        written[fmt] = path
    assert "Saved" in history.status.text()

    with written["csv"].open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 4
    assert ElementTree.parse(written["tcx"]).getroot().tag.endswith("TrainingCenterDatabase")
    messages, errors = Decoder(Stream.from_file(str(written["fit"]))).read(enable_crc_check=True)
    assert errors == []
    assert len(messages["session_mesgs"]) == 1
    assert len(messages["record_mesgs"]) == len(rows)

    # The buttons go through a save dialog (non-modal); Cancel writes nothing.
    app.click(history.export_buttons["fit"])
    assert history.dialog is not None and history.dialog.isVisible()
    history.dialog.reject()
    assert history.dialog is None


def test_weeks_of_backward_minutes_and_a_past_session_plot(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    monday = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    for week, minutes in ((0, 4), (1, 5), (3, 7)):  # nothing in week 2
        write_log(
            sessions,
            f"w{week}",
            profile="Ana",
            started=monday + timedelta(weeks=week),
            backward_s=60 * minutes,
        )
    write_log(sessions, "ben1", profile="Ben", started=monday)

    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            # The logs name Ana and Ben: the window imports them at start, and with them the
            # profiles, so it opens on the chooser.
            assert app.window.page == "profiles"
            assert set(app.window.profiles_view.profile_buttons) == {"Ana", "Ben", "Guest"}
            app.window.show_page("history")
            assert app.window.history_view.title.text() == "History — no profile"
            assert app.window.history_view.sessions == []
            await app.choose_person("Ana")
            app.window.show_page("history")
            history = app.window.history_view
            assert [s.id for s in history.sessions] == ["w3", "w1", "w0"]  # newest first
            assert history.bars.weeks == [
                (date(2025, 3, 3), 4.0),
                (date(2025, 3, 10), 5.0),
                (date(2025, 3, 17), 0.0),
                (date(2025, 3, 24), 7.0),
            ]
            assert "Backward" in history.progression.text()
            # The newest is selected and plotted: forward, then a shaded backward stretch.
            assert history.plot.sample_count == 61 + 7 * 60
            ((start, end),) = history.plot.backward_spans
            assert start == pytest.approx(61 / 60)
            assert end == pytest.approx(8.0)
            history.select_row(2)
            selected = history.selected_session()
            assert selected is not None and selected.id == "w0"
            ((start, end),) = history.plot.backward_spans
            assert start == pytest.approx(61 / 60)
            assert end == pytest.approx(5.0)

    run(loop, scenario())


def test_fill_weeks_puts_zero_in_weeks_without_sessions() -> None:
    a, b = date(2025, 3, 3), date(2025, 3, 24)
    totals = [WeekTotal(a, 1, 4.0, 1.0, 100.0), WeekTotal(b, 2, 6.5, 1.0, 200.0)]
    assert fill_weeks(totals) == [
        (a, 4.0),
        (date(2025, 3, 10), 0.0),
        (date(2025, 3, 17), 0.0),
        (b, 6.5),
    ]
    assert fill_weeks([]) == []
