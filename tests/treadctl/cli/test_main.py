"""The command line's entry: the version, what reaches a person when the engine says no."""

from __future__ import annotations

import pytest

from treadctl import __version__
from treadctl.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"treadctl {__version__}"


def test_version_is_the_packaged_one() -> None:
    # The package states its version as a constant (cheap at startup); the project's metadata
    # (pyproject) is what gets published. They must not drift apart.
    from importlib.metadata import version

    assert __version__ == version("treadctl")
