"""The program list follows the chosen profile's limits: every entry, and the selected program's
figures and chart, are refitted when someone else is chosen or their limits are saved.

Real engine, virtual treadmill and store, as in ``test_profiles``.
"""

from __future__ import annotations

from tests.ui.harness import AppHarness, with_app

# 250 m backward at 5 km/h is 3 minutes; under a 2.5 km/h backward cap it is 6.
DISTANCE_PROGRAM = """\
name = "Test: a backward distance"
description = "Forward 5 minutes, then 250 m backward."

[[steps]]
direction = "forward"
speed = "4 km/h"
duration = "5 min"

[[steps]]
direction = "backward"
speed = "5 km/h"
distance = "250 m"
"""

WEEK_1 = 0  # "Backward walking, week 1": 30 minutes, 8 of them backward


@with_app()
async def test_the_program_list_is_refitted_when_the_profile_changes(app: AppHarness) -> None:
    model = app.window.profiles
    programs = app.window.program_view
    app.add_people("Ana", "Ben")
    # Ana: slower backward, and fewer backward minutes than the programs ask for.
    model.profiles.set_limit("Ana", "backward_max_speed_kmh", 2.5)
    model.profiles.set_limit("Ana", "backward_minutes_per_session", 5)
    path = app.tmp_path / "distance.toml"
    path.write_text(DISTANCE_PROGRAM, encoding="utf-8")
    assert programs.open_file(str(path)) is not None
    mine = programs.list.currentRow()
    assert programs.entry_text(mine).endswith("8 min  ·  3 min backward")
    assert programs.entry_text(WEEK_1).endswith("30 min  ·  8 min backward")

    await app.choose_person("Ana")
    assert programs.entry_text(mine).endswith("11 min  ·  5 of 6 min backward")
    assert programs.entry_text(WEEK_1).endswith("30 min  ·  5 of 8 min backward")
    assert programs.list.currentRow() == mine  # the choice stays
    assert programs.figures["total"].text() == "11:00"
    assert programs.figures["backward"].text() == "5 of 6 min"
    assert programs.chart.total_s == 11 * 60
    notices = programs.notices.text()
    assert "speed 5 km/h shown as 2.5 km/h" in notices
    assert "backward minutes stop at 5 per session" in notices

    await app.choose_person("Ben")
    assert programs.entry_text(mine).endswith("8 min  ·  3 min backward")
    assert programs.entry_text(WEEK_1).endswith("30 min  ·  8 min backward")
    assert programs.figures["backward"].text() == "3 min"
    assert programs.chart.total_s == 8 * 60
    assert not programs.notices.isVisibleTo(programs)

    # Saving the chosen profile's limits refits the list too.
    view = app.window.profiles_view
    view.table.set_value("backward_max_speed_kmh", 2.5)
    saved = app.expect(model.limits_saved)
    app.click(view.apply_button)
    await saved
    assert programs.entry_text(mine).endswith("11 min  ·  6 min backward")
    assert programs.figures["total"].text() == "11:00"

    # Nobody chosen: the base limits again.
    model.select(None)
    assert programs.entry_text(mine).endswith("8 min  ·  3 min backward")
