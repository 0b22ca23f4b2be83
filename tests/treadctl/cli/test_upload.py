"""`treadctl accounts` and `treadctl upload`, as a person types them, against the local
stand-ins for Strava and intervals.icu (``tests/treadctl/upload/services.py``)."""

from __future__ import annotations

import io
import stat
import sys
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.treadctl.upload.support import World, approve, make_world
from treadctl.cli import main
from treadctl.upload import Accounts, AfterSession, Service, State


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for made in make_world(tmp_path):
        monkeypatch.setenv("TREADCTL_STRAVA_URL", made.strava.url)
        monkeypatch.setenv("TREADCTL_INTERVALS_URL", made.intervals.url)
        monkeypatch.setenv("TREADCTL_HTTP_TIMEOUT", "0.5")
        # Time is the test's: Strava's polls sleep on it without waiting.
        monkeypatch.setattr("treadctl.cli.upload.wall_clock", lambda clock=made.clock: clock)
        yield made


def cli(world: World, *argv: str) -> int:
    return main([*argv, "--data-dir", str(world.root)])


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_connect_strava_in_the_browser_then_upload(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)
        approve(url)
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    stdin(monkeypatch, "s3cret\n")
    status = cli(
        world,
        "accounts",
        "connect",
        "strava",
        "--client-id",
        "12345",
        "--open-browser",
        "--profile",
        "Ana",
    )
    out = capsys.readouterr().out
    assert status == 0
    assert opened and opened[0] in out  # printed, and opened because asked
    assert out.endswith("Ana: Strava connected as Ana Runner\n")
    assert "s3cret" not in out
    path = Accounts(world.folder).path(world.ana())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    assert cli(world, "upload", "s1", "--service", "strava") == 0
    out = capsys.readouterr().out
    (activity_id,) = world.strava.activities
    assert out == f"s1: Strava: uploaded, {world.strava.url}/activities/{activity_id}\n"
    # Again: already done, nothing sent.
    assert cli(world, "upload", "s1") == 0
    assert len(world.strava.of("POST", "/api/v3/uploads")) == 1


def test_the_browser_is_opened_only_when_asked(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(webbrowser, "open", lambda url: pytest.fail("opened unasked"))
    stdin(monkeypatch, "s3cret\n")
    status = cli(
        world,
        "accounts",
        "connect",
        "strava",
        "--client-id",
        "12345",
        "--profile",
        "Ana",
        "--wait",
        "0.05",
    )
    captured = capsys.readouterr()
    assert status == 1
    assert "Open this address in a browser" in captured.out
    assert "no answer from the browser within 0.05 s" in captured.err
    assert Accounts(world.folder).load(world.ana()).strava is None


def test_connect_intervals_reads_the_key_from_stdin_not_argv(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, "k3y-intervals\n")
    assert cli(world, "accounts", "connect", "intervals", "--profile", "Ana") == 0
    assert capsys.readouterr().out == "Ana: intervals.icu connected (athlete 0)\n"
    account = Accounts(world.folder).load(world.ana()).intervals
    assert account is not None and account.api_key == "k3y-intervals"
    # There is no option to give it on the command line.
    with pytest.raises(SystemExit) as usage:
        cli(world, "accounts", "connect", "intervals", "--api-key", "x")
    assert usage.value.code == 2
    assert cli(world, "accounts", "list", "--profile", "Ana") == 0
    listed = capsys.readouterr().out
    assert "intervals.icu  connected: the key's own athlete; after a session: ask" in listed
    assert "k3y" not in listed


def test_a_failed_upload_is_said_queued_and_retried_with_pending(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.connect_intervals()
    world.intervals.hang = 1
    assert cli(world, "upload", "s1") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        "treadctl: s1: intervals.icu: failed after 1 try (intervals.icu could not be reached: "
        "no answer from 127.0.0.1:"
    )
    assert "within 0.5 s); next try " in captured.err
    assert cli(world, "upload", "--list") == 0
    assert "s1: intervals.icu: failed after 1 try" in capsys.readouterr().out
    assert cli(world, "upload", "--pending") == 0
    assert capsys.readouterr().out.startswith("s1: intervals.icu: uploaded, http://127.0.0.1:")
    assert cli(world, "upload", "--pending") == 0
    assert capsys.readouterr().out == "nothing to retry\n"


def test_a_refusal_names_the_service_the_status_and_its_message(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.connect_intervals(key="wrong")
    assert cli(world, "upload", "s1", "--service", "intervals") == 1
    err = capsys.readouterr().err
    assert "intervals.icu refused the upload (HTTP 401): Unauthorized" in err
    assert "wrong" not in err


def test_no_account_no_session_and_guest_are_sentences(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(world, "upload", "s1") == 1
    assert capsys.readouterr().err == (
        "treadctl: Ana has no account connected; see `treadctl accounts` "
        "(`treadctl accounts connect strava|intervals --profile Ana`)\n"
    )
    assert cli(world, "upload", "nope") == 1
    assert "no session log for 'nope'" in capsys.readouterr().err
    assert cli(world, "upload") == 2
    stdin(monkeypatch, "k3y\n")
    assert cli(world, "accounts", "connect", "intervals", "--profile", "Guest") == 1
    assert "Guest is shared by everybody" in capsys.readouterr().err


def test_choices_and_the_export_folder(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(world, "accounts", "after-session", "strava", "auto", "--profile", "Ana") == 0
    assert "(not connected yet: `treadctl accounts connect strava`)" in capsys.readouterr().out
    out_dir = tmp_path / "stick"
    assert cli(world, "accounts", "export-folder", str(out_dir), "--profile", "Ana") == 1
    assert "is not a folder; make it first" in capsys.readouterr().err
    out_dir.mkdir()
    status = cli(
        world,
        "accounts",
        "export-folder",
        str(out_dir),
        "--format",
        "fit",
        "--format",
        "tcx",
        "--profile",
        "Ana",
    )
    assert status == 0
    loaded = Accounts(world.folder).load(world.ana())
    assert loaded.preference(Service.STRAVA) is AfterSession.AUTO
    assert loaded.export_folder is not None
    assert loaded.export_folder.formats == ("fit", "tcx")
    capsys.readouterr()
    assert cli(world, "accounts") == 0
    listed = capsys.readouterr().out
    assert f"export folder  {out_dir} (fit, tcx)" in listed
    assert "Guest\n  export folder  none; shared, so no accounts" in listed
    assert cli(world, "accounts", "export-folder", "none", "--profile", "Ana") == 0
    assert Accounts(world.folder).load(world.ana()).export_folder is None


def test_disconnect(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.connect_strava()
    assert cli(world, "accounts", "disconnect", "strava", "--profile", "Ana") == 0
    assert "strava.com, Settings, My Apps" in capsys.readouterr().out
    assert cli(world, "accounts", "disconnect", "strava", "--profile", "Ana") == 1
    assert "Ana has no Strava account connected" in capsys.readouterr().err
    assert world.uploader().upload("s1", Service.STRAVA).state is State.FAILED


def test_without_a_profile_chosen_it_says_how_to_choose(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(world, "accounts", "disconnect", "intervals") == 2
    assert "give --profile NAME" in capsys.readouterr().err
