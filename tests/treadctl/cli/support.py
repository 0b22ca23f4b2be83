"""Running a store command in this process, as ``treadctl`` parses it."""

from __future__ import annotations

import sys
from pathlib import Path

from treadctl.cli.parser import build_parser


def cli(data_dir: Path, *argv: str, log_dir: Path | None = None) -> int:
    """``treadctl ARGV --data-dir DATA_DIR [--log-dir LOG_DIR]``'s handler; its exit status."""
    extra = ["--data-dir", str(data_dir)]
    if log_dir is not None:
        extra += ["--log-dir", str(log_dir)]
    args = build_parser().parse_args([*argv, *extra])
    result: int = args.handler(args, sys.stdout)
    return result
