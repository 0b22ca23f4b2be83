"""`treadctl export` writes nothing over silently and answers every unusable path with a sentence.

Issue 14: an export replaced another session's log and exited 0; any existing file was
overwritten without asking; a default export went into the hidden data folder; unwritable
places, a folder or a missing file as SESSION and a damaged log ended in tracebacks.

The read-only and full disks are real: a small tmpfs mounted in a private mount namespace
(``unshare``), with ``treadctl export`` run inside it; those tests are skipped where the
machine allows no such namespace.
"""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.treadctl.export.support import PROGRAM, START, write_log
from treadctl.cli import main
from treadctl.data_folder import DataFolder
from treadctl.export import ExportTargetError, check_target, export_file_name
from treadctl.recorder import read_session_log
from treadctl.store import Store


class Data:
    """A data folder with two session logs, ``a`` and ``b``, as the app leaves them."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "data"
        self.sessions = self.root / "sessions"
        self.a = write_log(self.sessions, PROGRAM[:2], session_id="aaa")
        self.b = write_log(self.sessions, PROGRAM[:1], session_id="bbb")

    def name(self, log: Path, fmt: str = "csv") -> str:
        return export_file_name(read_session_log(log), fmt)


@pytest.fixture
def data(tmp_path: Path) -> Data:
    return Data(tmp_path)


def export(
    capsys: pytest.CaptureFixture[str], data: Data, *argv: str | Path
) -> tuple[int, str, str]:
    """``treadctl export ARGV --data-dir DATA`` as a person runs it: (status, stdout, stderr).
    ``main`` lets only a bug's exception through, so a traceback fails the test by itself."""
    status = main(["export", *map(str, argv), "--data-dir", str(data.root)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_an_existing_file_is_replaced_only_with_force(
    tmp_path: Path, data: Data, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine.csv"
    mine.write_text("keep me", encoding="utf-8")
    assert export(capsys, data, data.a, "--format", "csv", "-o", mine) == (
        1,
        "",
        f"export: {mine} already exists; use --force to replace it\n",
    )
    assert mine.read_text(encoding="utf-8") == "keep me"
    assert export(capsys, data, data.a, "--format", "csv", "-o", mine, "--force") == (
        0,
        f"{mine}\n",
        "",
    )
    assert mine.read_text(encoding="utf-8").startswith("time_s")


def test_a_session_log_is_never_written_over_even_with_force(
    tmp_path: Path, data: Data, capsys: pytest.CaptureFixture[str]
) -> None:
    before = data.b.read_bytes()
    copy = tmp_path / "elsewhere" / "backup.jsonl"
    copy.parent.mkdir()
    shutil.copyfile(data.b, copy)
    new_in_sessions = data.sessions / "new.jsonl"
    for target, force in [
        (data.b, ()),  # the case: another session's log
        (data.b, ("--force",)),
        (copy, ("--force",)),  # anything that reads as a log, wherever it is
        (new_in_sessions, ("--force",)),  # a history rebuild would read it as a broken log
    ]:
        status, out, err = export(capsys, data, data.a, "--format", "csv", "-o", target, *force)
        assert (status, out) == (1, "")
        assert err == (
            f"export: {target} is a session log; an export never replaces it, so choose "
            "another file name\n"
        )
    assert data.b.read_bytes() == before and copy.read_bytes() == before
    assert not new_in_sessions.exists()
    assert sorted(p.name for p in data.sessions.iterdir()) == sorted([data.a.name, data.b.name])


def test_the_history_database_is_never_written_over(
    tmp_path: Path, data: Data, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.of(DataFolder.at(data.root)) as store:
        database = store.path
    backup = tmp_path / "history-backup.db"
    with sqlite3.connect(backup) as db:
        db.execute("CREATE TABLE t (x)")
    db_bytes, backup_bytes = database.read_bytes(), backup.read_bytes()
    for target, kind in [(database, "the history database"), (backup, "a database")]:
        status, _, err = export(capsys, data, data.a, "--format", "fit", "-o", target, "--force")
        assert status == 1
        assert err == (
            f"export: {target} is {kind}; an export never replaces it, so choose another "
            "file name\n"
        )
    assert database.read_bytes() == db_bytes and backup.read_bytes() == backup_bytes


def test_all_refuses_each_existing_file_and_fails(
    tmp_path: Path, data: Data, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    taken = out_dir / data.name(data.a)
    taken.write_text("keep me", encoding="utf-8")
    status, out, err = export(capsys, data, "--all", "--format", "csv", "-o", out_dir)
    # a and b started in the same minute with the same program: b's name carries its id.
    other = out_dir / export_file_name(read_session_log(data.b), "csv", with_id=True)
    assert (status, out) == (1, f"{other}\n")
    assert err == (
        f"export: skipped {data.a.name}: {taken} already exists; use --force to replace it\n"
    )
    assert taken.read_text(encoding="utf-8") == "keep me"
    status, out, err = export(capsys, data, "--all", "--format", "csv", "-o", out_dir, "--force")
    assert (status, out.split(), err) == (0, [str(taken), str(other)], "")
    assert taken.read_text(encoding="utf-8").startswith("time_s")
    # A file given as the folder: one sentence, nothing written.
    assert export(capsys, data, "--all", "--format", "csv", "-o", taken) == (
        1,
        "",
        f"export: {taken} is a file, not a folder; give a folder to export into\n",
    )


def test_a_default_export_goes_to_the_current_folder_named_for_the_session(
    tmp_path: Path, data: Data, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    status, out, err = export(capsys, data, "aaa", "--format", "tcx")
    # The start as the person's clock showed it, then the program: 2025-03-14_1015_export-test
    expected = here / f"{START.astimezone():%Y-%m-%d_%H%M}_export-test.tcx"
    assert (status, out, err) == (0, f"{expected}\n", "")
    assert expected.stat().st_size > 0
    assert sorted(p.suffix for p in data.sessions.iterdir()) == [".jsonl", ".jsonl"]


def test_a_current_folder_that_was_deleted_is_a_sentence(
    tmp_path: Path, data: Data, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # a shell still in a folder removed from another window
    message = "export: the current folder no longer exists; change to another folder or give -o\n"
    assert export(capsys, data, "aaa", "--format", "csv") == (1, "", message)
    assert export(capsys, data, "--all", "--format", "csv") == (1, "", message)


def test_a_long_name_the_file_system_allows_is_written(
    tmp_path: Path, data: Data, capsys: pytest.CaptureFixture[str]
) -> None:
    # 254 bytes: allowed; the temporary file beside it must not need a longer name.
    target = tmp_path / ("n" * 250 + ".csv")
    assert export(capsys, data, data.a, "--format", "csv", "-o", target) == (0, f"{target}\n", "")
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == [target.name]


def _damaged(data: Data, name: str, line: str) -> Path:
    log = data.sessions / name
    header = data.a.read_text(encoding="utf-8").splitlines()[0]
    log.write_text(f"{header}\n{line}\n", encoding="utf-8")
    return log


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("parent is a file", "cannot write into {target.parent}: it is a file, not a folder"),
        ("name too long", "cannot write {target}: the name is too long"),
        ("a pipe", "{target} is not a regular file (a device, pipe or socket)"),
        ("a folder as SESSION", "{session} is a folder, not a session log"),
        ("a missing SESSION", "{session} does not exist"),
        ("a SESSION name too long", "{session} cannot be read (File name too long)"),
        ("a log nested too deeply", "{session}:2: corrupt line: nested deeper than 32 levels"),
        ("a corrupt line", "{session}:2: corrupt line: not JSON"),
    ],
)
def test_an_unusable_path_is_one_sentence(
    tmp_path: Path, data: Data, capsys: pytest.CaptureFixture[str], case: str, expected: str
) -> None:
    session, target = data.a, tmp_path / "out.csv"
    if case == "parent is a file":
        (tmp_path / "notes.txt").write_text("a file", encoding="utf-8")
        target = tmp_path / "notes.txt" / "out.csv"
    elif case == "name too long":
        target = tmp_path / ("n" * 300 + ".csv")
    elif case == "a pipe":
        target = tmp_path / "pipe"
        os.mkfifo(target)
    elif case == "a folder as SESSION":
        session = tmp_path / "a-folder"
        session.mkdir()
    elif case == "a missing SESSION":
        session = tmp_path / "gone.jsonl"
    elif case == "a SESSION name too long":
        session = tmp_path / ("n" * 300)
    elif case == "a log nested too deeply":
        session = _damaged(data, "deep.jsonl", "[" * 100_000 + "]" * 100_000)
    else:
        session = _damaged(data, "corrupt.jsonl", "{not json")
    before = sorted(tmp_path.rglob("*"))
    status, out, err = export(capsys, data, session, "--format", "csv", "-o", target)
    assert (status, out) == (1, "")
    text = expected.format(target=target, session=session)
    assert err.startswith(f"export: {text}") and err.count("\n") == 1, err
    assert sorted(tmp_path.rglob("*")) == before  # no file, folder or temporary left
    if case == "a pipe":
        assert target.is_fifo()


def test_a_device_is_never_an_output(tmp_path: Path) -> None:
    # Checked without writing: a regression must not replace /dev/null on a machine where the
    # tests run as root.
    with pytest.raises(ExportTargetError, match=r"^/dev/null is not a regular file"):
        check_target(Path("/dev/null"), overwrite=True)


# -- real read-only and full disks ------------------------------------------------------------


# A mount namespace of its own, as root inside it (a user namespace) when not root outside.
UNSHARE = ("unshare", "--map-root-user", "--mount")


@functools.cache
def _namespaces_work() -> bool:
    """Whether this machine lets a test mount a tmpfs in a private mount namespace."""
    if shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory() as probe:
        done = subprocess.run(
            [*UNSHARE, "sh", "-c", 'mount -t tmpfs tmpfs "$0"', probe],
            capture_output=True,
            check=False,
        )
    return done.returncode == 0


def on_small_disk(tmp_path: Path, mount_options: str, script: str) -> str:
    """Run ``script`` (sh) with ``$DISK`` a fresh tmpfs mounted with ``mount_options``, seen
    only by it; ``$TREADCTL`` runs the command line. Its stdout and stderr, as one stream."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _namespaces_work():
        pytest.skip("no private mount namespace (unshare) on this machine")
    done = subprocess.run(
        [
            *UNSHARE,
            "sh",
            "-c",
            # One stream, in the order things happened.
            f'exec 2>&1\nmount -t tmpfs -o {mount_options} tmpfs "$DISK" || exit 99\n{script}',
        ],
        env={
            **os.environ,
            "DISK": str(disk),
            "TREADCTL": f"{sys.executable} -m treadctl.cli",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_full_disk_is_a_sentence_and_the_old_file_is_kept(tmp_path: Path, data: Data) -> None:
    output = on_small_disk(
        tmp_path,
        "size=64k",
        f"""
        printf 'keep me' > "$DISK/mine.csv"
        head -c 1048576 /dev/zero > "$DISK/filler" 2>/dev/null
        $TREADCTL export {data.a} --format csv -o "$DISK/mine.csv" --force \\
            --data-dir {data.root}
        echo "status=$?"
        echo "kept=$(cat "$DISK/mine.csv")"
        echo "files=$(ls -A "$DISK" | tr '\\n' ' ')"
        """,
    )
    lines = output.splitlines()
    assert "Traceback" not in output
    assert lines[0] == (
        f"export: cannot write {tmp_path}/disk/mine.csv: the disk is full; free some space "
        "or choose another disk"
    )
    assert lines[1:] == ["status=1", "kept=keep me", "files=filler mine.csv "]


def test_a_read_only_disk_is_a_sentence(tmp_path: Path, data: Data) -> None:
    output = on_small_disk(
        tmp_path,
        "ro",
        f"""
        for out in "$DISK/out.csv" "$DISK/new-folder/out.csv"; do
            $TREADCTL export {data.a} --format csv -o "$out" --data-dir {data.root}
            echo "status=$?"
        done
        $TREADCTL export --all --format fit -o "$DISK/all" --data-dir {data.root}
        echo "status=$?"
        """,
    )
    disk = tmp_path / "disk"
    assert "Traceback" not in output
    assert output.splitlines() == [
        f"export: cannot write {disk}/out.csv: the disk is read-only; choose another folder",
        "status=1",
        f"export: cannot write {disk}/new-folder: the disk is read-only; choose another folder",
        "status=1",
        f"export: cannot write {disk}/all: the disk is read-only; choose another folder",
        "status=1",
    ]
