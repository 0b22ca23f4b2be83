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
from PySide6.QtCore import Qt

from tests.treadctl.test_store import write_log
from tests.ui.harness import AppHarness, run, with_app
from treadctl.store import WeekTotal
from ui import colors
from ui.history_view import COLUMNS, LEGEND, HistoryView, fill_weeks, week_ticks


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


def test_guest_and_nobody_show_the_sessions_of_no_profile_with_their_weeks(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # Issue 14: the no-profile chart was empty though its sessions had backward minutes, and
    # Guest's page did not list what `treadctl history --guest` lists.
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    monday = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    write_log(sessions, "nobody1", profile=None, started=monday, backward_s=180)
    write_log(sessions, "ana1", profile="Ana", started=monday)

    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            history = app.window.history_view
            app.window.show_page("history")
            assert history.title.text() == "History — no profile"
            assert [s.id for s in history.sessions] == ["nobody1"]
            assert history.bars.weeks == [(date(2025, 3, 3), 3.0)]
            await app.choose_person("Guest")
            app.window.show_page("history")
            assert history.title.text() == "History — Guest"
            assert [s.id for s in history.sessions] == ["nobody1"]
            assert history.bars.weeks == [(date(2025, 3, 3), 3.0)]

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


# -- one session: selected, plotted, exported ---------------------------------------------------


def _exported_start(history: HistoryView, out: Path) -> str:
    """Export what the page would export, as TCX; its activity Id: the session's start."""
    path = history.export("tcx", out)
    assert path == out
    root = ElementTree.parse(path).getroot()
    (activity_id,) = [e.text for e in root.iter() if e.tag.endswith("}Id")]
    assert activity_id is not None
    return activity_id


def _plotted_exported_selected(history: HistoryView, out: Path) -> tuple[str, str, str]:
    """(the session plotted, the start of the one exported, the one selected)."""
    selected = history.selected_session()
    assert selected is not None and history.shown_session == selected
    assert history.plot.session_id is not None
    return history.plot.session_id, _exported_start(history, out), selected.id


def test_the_selected_session_is_the_one_plotted_and_exported(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    day = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    write_log(sessions, "mon", started=day)
    write_log(sessions, "tue", started=day + timedelta(days=1), backward_s=300)
    out = tmp_path / "out.tcx"

    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            await app.choose_person("Ana")
            app.window.show_page("history")
            history = app.window.history_view
            assert [s.id for s in history.sessions] == ["tue", "mon"]
            # The newest, at first: plotted and exported (its start is the TCX Id).
            assert _plotted_exported_selected(history, out) == (
                "tue",
                "2025-03-04T09:00:00.000Z",
                "tue",
            )
            history.select_row(1)  # a click on the older one
            assert _plotted_exported_selected(history, out) == (
                "mon",
                "2025-03-03T09:00:00.000Z",
                "mon",
            )
            # The keyboard moves the selection: plot and export follow.
            history.table.setFocus()
            app.key(Qt.Key.Key_Up, history.table)
            assert _plotted_exported_selected(history, out)[::2] == ("tue", "tue")
            assert _exported_start(history, out) == "2025-03-04T09:00:00.000Z"

            # Refresh with nothing new keeps the session chosen (not the row number).
            history.select_row(1)
            history.refresh()
            assert _plotted_exported_selected(history, out)[::2] == ("mon", "mon")

            # A new session arrives (the command line ran one): rows move down under the
            # selection. The newest is shown, and the plot and the export both follow it.
            write_log(sessions, "wed", started=day + timedelta(days=2), backward_s=60)
            history.select_row(0)  # "tue" selected on row 0; after the refresh row 0 is "wed"
            history.refresh()
            assert [s.id for s in history.sessions] == ["wed", "tue", "mon"]
            assert _plotted_exported_selected(history, out) == (
                "wed",
                "2025-03-05T09:00:00.000Z",
                "wed",
            )
            assert history.plot.sample_count == 61 + 60

    run(loop, scenario())


def test_an_export_dialog_closes_when_another_session_is_chosen(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    day = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    write_log(sessions, "mon", started=day)
    write_log(sessions, "tue", started=day + timedelta(days=1))

    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            await app.choose_person("Ana")
            app.window.show_page("history")
            history = app.window.history_view
            app.click(history.export_buttons["csv"])
            dialog = history.dialog
            assert dialog is not None and dialog.isVisible()
            # The session shown: its day in the file name.
            assert (
                f"{(day + timedelta(days=1)).astimezone():%Y-%m-%d}_" in dialog.selectedFiles()[0]
            )
            history.select_row(1)
            # Its file was the other session's: it would export one not plotted.
            assert history.dialog is None and not dialog.isVisible()
            assert history.plot.session_id == "mon"

    run(loop, scenario())


# -- colours and axes ----------------------------------------------------------------------------


def test_every_colour_is_explained_and_the_weekly_axis_has_no_si_prefix(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    write_log(sessions, "w0", started=datetime(2025, 3, 3, 9, 0, tzinfo=UTC))

    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            await app.choose_person("Ana")
            app.window.show_page("history")
            history = app.window.history_view
            # The table's coloured values: each colour is in the page's legend, in words.
            table = history.table
            coloured = {
                item.foreground().color().name()
                for row in range(table.rowCount())
                for column in range(table.columnCount())
                if (item := table.item(row, column)) is not None
                and item.foreground().style() != Qt.BrushStyle.NoBrush
            }
            assert coloured == {colors.BACKWARD}
            explained = {colour for colour, _ in LEGEND}
            assert coloured <= explained
            for colour, words in LEGEND:
                assert colour in history.legend.text() and words in history.legend.text()
            # Each chart names what it draws: a curve, the amber band, the grey lines, bars.
            assert history.plot.legend_names() == ["measured", "backward", "segment change"]
            assert history.bars.legend_names() == ["backward minutes"]
            assert app.window.dashboard.plot.legend_names() == [
                "target",
                "measured",
                "backward",
                "segment change",
            ]

            # One week: the axis spans -0.6..0.6, where pyqtgraph would write "(x0.001)".
            bottom = history.bars.plot_item.getAxis("bottom")
            assert history.bars.ticks == [(0.0, "3 Mar 2025")]
            assert "(x" not in bottom.labelString()
            assert "week starting Monday" in bottom.labelString()
            for axis in ("left", "bottom"):
                assert not history.plot.plot_item.getAxis(axis).autoSIPrefix

    run(loop, scenario())


def test_week_ticks_name_mondays_and_the_year_where_it_begins() -> None:
    mondays = [date(2024, 12, 23), date(2024, 12, 30), date(2025, 1, 6)]
    assert week_ticks(mondays) == [(0.0, "23 Dec 2024"), (1.0, "30 Dec"), (2.0, "6 Jan 2025")]
    assert week_ticks([]) == []
