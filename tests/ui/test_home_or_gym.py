"""Home or gym: the first start asks; at home the last person stays chosen, across a session and
a restart; in a gym every session ends on "Who is on the treadmill?" with nobody chosen.

Each restart is a second ``AppHarness`` on the same ``tmp_path``: the same history and the same
settings file, as the app's next run.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QSettings

from tests.ui.harness import AppHarness, run, settings_file
from treadctl.limits import DEFAULT_LIMITS
from ui.settings_view import RETURN_TO_CHOOSER_KEY, USAGE_KEY, AppSettings
from ui.usage import Usage


def _chosen_buttons(app: AppHarness) -> list[str]:
    return [n for n, b in app.window.profiles_view.profile_buttons.items() if b.isChecked()]


def test_the_first_start_asks_and_remembers_the_answer(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path, usage=None) as app:
            question = app.window.usage_question
            assert question is not None
            assert question.isVisible() and question.isWindow()
            # It waits beside the window rather than in front of it: STOP stays reachable.
            assert not question.isModal()
            assert app.window.app_settings.usage is None
            assert app.window.app_settings.return_to_chooser  # as in a gym until answered
            assert not app.window.settings_view.home.isChecked()
            assert not app.window.settings_view.gym.isChecked()
            assert "Not chosen yet" in app.window.settings_view.usage_note.text()
            app.click(question.home_button)
            assert not question.isVisible()
            assert app.window.app_settings.usage is Usage.HOME
            assert app.window.settings_view.home.isChecked()
            assert "last person chosen stays chosen" in app.window.settings_view.usage_note.text()
        assert settings_file(tmp_path).value(USAGE_KEY) == "home"
        async with AppHarness(tmp_path, usage=None) as app:
            assert app.window.usage_question is None  # answered once: not asked again
            assert app.window.settings_view.home.isChecked()

    run(loop, scenario())


def test_a_question_closed_unanswered_is_asked_again(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path, usage=None) as app:
            question = app.window.usage_question
            assert question is not None
            question.close()
            assert app.window.app_settings.usage is None
        async with AppHarness(tmp_path, usage=None) as app:
            question = app.window.usage_question
            assert question is not None and question.isVisible()
            app.click(question.gym_button)
            assert app.window.app_settings.usage is Usage.GYM
            assert app.window.settings_view.gym.isChecked()

    run(loop, scenario())


def test_the_old_switch_answers_the_question(tmp_path: Path) -> None:
    # A settings file from before home or gym: "return to the profile chooser" off was a home.
    old = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    old.setValue(RETURN_TO_CHOOSER_KEY, False)
    old.sync()
    settings = AppSettings(settings_file(tmp_path))
    assert settings.usage is Usage.HOME
    assert not settings.return_to_chooser
    settings.usage = Usage.GYM
    again = settings_file(tmp_path)
    assert not again.contains(RETURN_TO_CHOOSER_KEY)  # one answer, not two
    assert AppSettings(again).usage is Usage.GYM
    assert AppSettings(again).return_to_chooser
    # Something unknown is asked again rather than guessed.
    again.setValue(USAGE_KEY, "office")
    assert AppSettings(again).usage is None


def test_at_home_the_last_person_stays_across_a_session_and_a_restart(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path, usage=Usage.HOME) as app:
            app.add_people("Ana", "Ben")
            # Ana's own limits, so that what comes back is her, not only her name.
            lowered = DEFAULT_LIMITS.to_dict() | {"backward_max_speed_kmh": 4.0}
            app.window.profiles.profiles.set_limits("Ana", type(DEFAULT_LIMITS)(**lowered))
            await app.connect()
            await app.choose_person("Ana")
            app.window.show_page("programs")
            await app.short_session()
            # The summary, then "Done": not sent back to the chooser.
            assert app.window.page == "summary"
            assert not app.window.summary.next_button.isVisibleTo(app.window)
            app.click(app.window.summary.done_button)
            assert app.window.page == "programs"
            assert app.bridge.profile_name == "Ana"
            assert app.window.profile_badge.text() == "● Ana"
        async with AppHarness(tmp_path) as app:
            assert app.window.usage_question is None
            assert app.bridge.profile_name == "Ana"
            assert app.bridge.limits.backward_max_speed_kmh == 4.0
            assert app.window.profile_badge.text() == "● Ana"
            assert app.window.page != "profiles"
            assert _chosen_buttons(app) == ["Ana"]
            # Connected, it goes on to the programs, fitted to Ana's limits, as she left it.
            await app.connect()
            assert app.window.page == "programs"

    run(loop, scenario())


def test_at_home_a_guest_is_not_chosen_again(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path, usage=Usage.HOME) as app:
            app.add_people("Ana")
            await app.choose_person("Ana")
            await app.choose_person("Guest")  # a visitor was the last one chosen
        async with AppHarness(tmp_path) as app:
            assert app.bridge.profile_name is None
            assert app.window.page == "profiles"

    run(loop, scenario())


def test_a_gym_returns_to_the_chooser_with_nobody_chosen_and_starts_so(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path, usage=Usage.GYM) as app:
            app.add_people("Ana", "Ben")
            await app.connect()
            await app.choose_person("Ana")
            app.window.show_page("programs")
            await app.short_session()
            # Ana sees her summary, under nobody's name already; "Next person" opens the chooser.
            assert app.window.page == "summary"
            assert app.bridge.profile_name is None
            assert app.window.summary.next_button.isVisibleTo(app.window)
            app.click(app.window.summary.next_button)
            assert app.window.page == "profiles"
            assert app.window.profile_badge.text() == "no profile"
            assert _chosen_buttons(app) == []
            assert "Ana" in app.window.profiles_view.last_text.text()
            await app.choose_person("Ben")  # the next person
        # The history still knows Ben was chosen last; a gym does not bring him back.
        async with AppHarness(tmp_path) as app:
            assert app.window.page == "profiles"
            assert app.bridge.profile_name is None
            assert _chosen_buttons(app) == []

    run(loop, scenario())
