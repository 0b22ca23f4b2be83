"""The data folder (treadctl.data_folder): its layout, the folders a front end may give instead,
and the history it opens, private to the user when it is the platform's own folder.

The platform's folder is never the real one here: every test that uses the default points
``_platform_root`` (the one place that asks the operating system) at a temporary folder.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

import treadctl.data_folder
from treadctl.data_folder import APP_NAME, DataFolder
from treadctl.store import DB_FILENAME, Store, StoreError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def platform_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The platform's data folder for the test: a temporary one, not made yet."""
    root = tmp_path / "platform" / APP_NAME
    monkeypatch.setattr(treadctl.data_folder, "_platform_root", lambda: root)
    return root


def test_a_given_folder_holds_sessions_history_and_settings(tmp_path: Path) -> None:
    folder = DataFolder.at(tmp_path / "data")
    assert not folder.is_default
    assert folder.root == tmp_path / "data"
    assert folder.sessions == tmp_path / "data" / "sessions"
    assert folder.history == tmp_path / "data" / DB_FILENAME
    assert folder.settings == tmp_path / "data" / "settings.ini"
    assert not folder.root.exists()  # nothing touches the disk until it is used


def test_a_sessions_folder_can_be_given_apart_from_the_root(tmp_path: Path) -> None:
    folder = DataFolder.at(tmp_path / "data", sessions=tmp_path / "logs")
    assert folder.sessions == tmp_path / "logs"
    assert folder.history == tmp_path / "data" / DB_FILENAME  # the rest stays in the root
    assert folder.settings.parent == tmp_path / "data"


def test_the_default_is_the_platforms_folder(platform_root: Path) -> None:
    folder = DataFolder()
    assert folder.is_default and DataFolder.at() == folder
    assert folder.root == platform_root
    assert folder.sessions == platform_root / "sessions"
    assert folder.history == platform_root / DB_FILENAME
    assert not platform_root.exists()


def test_the_default_sessions_folder_can_be_given_alone(
    platform_root: Path, tmp_path: Path
) -> None:
    folder = DataFolder.at(sessions=tmp_path / "logs")
    assert folder.is_default  # the root is still the platform's (and private)
    assert folder.sessions == tmp_path / "logs"
    assert folder.history == platform_root / DB_FILENAME


def test_the_platforms_folder_is_asked_for_by_the_apps_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platformdirs

    asked: list[str] = []

    def user_data_dir(appname: str) -> str:
        asked.append(appname)
        return str(tmp_path / appname)

    monkeypatch.setattr(platformdirs, "user_data_dir", user_data_dir)
    assert DataFolder().root == tmp_path / "treadctl"
    assert asked == ["treadctl"] == [APP_NAME]


def test_open_store_makes_the_platforms_folder_owner_only(platform_root: Path) -> None:
    with Store.of(DataFolder()) as store:
        assert store.path == platform_root / DB_FILENAME
    assert mode(platform_root) == 0o700
    assert mode(platform_root / DB_FILENAME) == 0o600


def test_open_store_tightens_the_platforms_folder_made_with_the_umask(
    platform_root: Path,
) -> None:
    # As the recorder leaves it: made as the parent of its sessions folder.
    (platform_root / "sessions").mkdir(parents=True)
    platform_root.chmod(0o755)
    Store.of(DataFolder()).close()
    assert mode(platform_root) == 0o700


def test_open_store_keeps_the_mode_of_a_folder_the_user_named(tmp_path: Path) -> None:
    named = tmp_path / "named"
    named.mkdir()
    named.chmod(0o755)
    with Store.of(DataFolder.at(named)) as store:
        assert store.path == named / DB_FILENAME
    assert mode(named) == 0o755
    assert mode(named / DB_FILENAME) == 0o600  # the database itself is private all the same


def test_open_store_makes_a_missing_named_folder_owner_only(tmp_path: Path) -> None:
    folder = DataFolder.at(tmp_path / "new" / "data")
    Store.of(folder).close()
    assert folder.history.exists() and mode(folder.root) == 0o700


def test_open_store_raises_store_error_on_an_unusable_database(tmp_path: Path) -> None:
    folder = DataFolder.at(tmp_path)
    folder.history.write_bytes(b"garbage" * 1000)
    with pytest.raises(StoreError, match="the history database is corrupt"):
        Store.of(folder)
