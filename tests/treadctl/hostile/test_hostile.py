"""Hostile program files and session logs, generated, through the real entry points.

Each case goes through ``load_program`` (programs), or ``read_session_log`` both ways, the
store's ``import_log`` and a CSV export (logs); then the whole lot through a history rebuild,
and a few through ``treadctl.cli.main``. Every case must be handled (see ``harness``): accepted,
or refused in one line naming the file. The default run has a few hundred cases; ``-m slow``
runs 10,000 of each. Both report "N/N handled" in the terminal summary.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest

from tests.treadctl.hostile.generators import Case, log_cases, program_cases
from tests.treadctl.hostile.harness import Tally, refusal_problem
from tests.treadctl.test_store import START, write_log
from treadctl.cli import main
from treadctl.export import ExportError, export_session
from treadctl.program import ProgramError, load_program
from treadctl.recorder import SessionLogError, read_session_log
from treadctl.store import LogImportError, Store

SEED = 14  # the number; any fixed seed names the same cases on every run
SIZES = [
    pytest.param(300, 4, id="default"),
    pytest.param(10_000, 40, id="large", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("count", "big"), SIZES)
def test_hostile_programs_are_handled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], count: int, big: int
) -> None:
    tally = Tally(f"hostile programs ({count})")
    refused: list[Path] = []

    def check(index: int, case: Case) -> str | None:
        path = tmp_path / f"program-{index}.toml"
        path.write_bytes(case.data)
        try:
            load_program(path)
        except Exception as exc:  # noqa: BLE001 - judged by refusal_problem
            refused.append(path)
            return refusal_problem(exc, path, (ProgramError,))
        return None

    tally.run(program_cases(SEED + count, count, big=big), check)
    assert tally.failures == [], tally.explain()
    assert tally.handled == tally.total == count
    assert len(refused) > count // 2  # the generators do make hostile files
    tally.summary()

    # The command line says the same in one line, exit 2, before any treadmill is touched.
    capsys.readouterr()
    for path in refused[:5]:
        argv = ["run", str(path), "--simulate", "--log-dir", str(tmp_path / "logs")]
        assert main([*argv, "--data-dir", str(tmp_path / "data")]) == 2
        _, err = capsys.readouterr()
        assert err.startswith(f"treadctl: invalid program: {path}")
        assert err.count("\n") == 1
    assert not (tmp_path / "logs").exists()


def good_logs(log_dir: Path) -> list[Path]:
    return [
        write_log(log_dir, "good1", profile=None, forward_s=5, backward_s=5),
        write_log(
            log_dir, "good2", profile=None, forward_s=5, backward_s=5, started=START + timedelta(1)
        ),
    ]


@pytest.fixture
def base_log(tmp_path: Path) -> bytes:
    path = write_log(tmp_path / "base", "base", forward_s=5, backward_s=5)
    return path.read_bytes()


@pytest.mark.parametrize(("count", "big"), SIZES)
def test_hostile_logs_are_handled(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    base_log: bytes,
    count: int,
    big: int,
) -> None:
    logs, out_dir = tmp_path / "logs", tmp_path / "out"
    logs.mkdir()
    out_dir.mkdir()
    tally = Tally(f"hostile session logs ({count})")
    with Store(tmp_path / "data") as store:

        def check(index: int, case: Case) -> str | None:
            path = logs / f"20250310T000000Z_h{index}.jsonl"
            path.write_bytes(case.data)
            try:
                for skip in (False, True):
                    try:
                        read_session_log(path, skip_bad_lines=skip)
                    except Exception as exc:  # noqa: BLE001 - judged by refusal_problem
                        if problem := refusal_problem(exc, path, (SessionLogError,)):
                            return f"read_session_log(skip_bad_lines={skip}): {problem}"
                try:
                    store.import_log(path)
                except Exception as exc:  # noqa: BLE001 - judged by refusal_problem
                    if problem := refusal_problem(exc, path, (LogImportError,)):
                        return f"import_log: {problem}"
                try:
                    export_session(path, "csv", out_dir / f"{index}.csv")
                except Exception as exc:  # noqa: BLE001 - judged by refusal_problem
                    if problem := refusal_problem(exc, path, (SessionLogError, ExportError)):
                        return f"export_session: {problem}"
                return None
            finally:
                if len(case.data) > 1 << 20:
                    path.unlink()  # the rebuild below needs the many, not the big

        tally.run(log_cases(SEED + count, count, base_log, big=big), check)
        assert tally.failures == [], tally.explain()
        assert tally.handled == tally.total == count

        # All of them at once, with two good logs: the good ones are still listed.
        good = good_logs(logs)
        hostile = sorted(set(logs.glob("*.jsonl")) - set(good))
        report = store.rebuild(logs)
        assert {s.id for s in store.sessions()} >= {"good1", "good2"}
        assert all(str(e).startswith(str(logs)) for e in report.errors)
        assert len(report.errors) + len(report.imported) + len(report.skipped) == len(hostile) + 2
        assert report.errors  # some were refused, and said so
    tally.summary()

    # Through the command line: one line per skipped log, the rest listed, exit 1.
    few = tmp_path / "few"
    few.mkdir()
    for path in itertools.islice(hostile, 30):
        (few / path.name).write_bytes(path.read_bytes())
    good_logs(few)
    capsys.readouterr()
    status = main(
        ["history", "--rebuild", "--log-dir", str(few), "--data-dir", str(tmp_path / "d2")]
    )
    out, err = capsys.readouterr()
    assert status in (0, 1)
    assert "good1" in out and "good2" in out
    assert all(line.startswith(f"treadctl: skipped a log: {few}/") for line in err.splitlines())
    assert "Traceback" not in err
    for path in hostile[:10]:
        assert main(
            ["export", str(path), "--format", "csv", "-o", str(out_dir / f"{path.stem}.cli.csv")]
        ) in (0, 1)
        out, err = capsys.readouterr()
        # One line: the file written (stdout), or why not (stderr).
        assert (out + err).count("\n") == 1 and "Traceback" not in err
