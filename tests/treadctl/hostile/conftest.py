"""The hostile suites' "N/N handled" lines, shown in pytest's summary without ``-s``."""

from __future__ import annotations

import pytest

from tests.treadctl.hostile.harness import REPORTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORTS:
        terminalreporter.section("hostile input")
        for line in REPORTS:
            terminalreporter.write_line(line)
