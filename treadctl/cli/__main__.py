"""``python -m treadctl.cli``: the headless subcommands (``treadctl`` itself also opens the app)."""

import sys

from treadctl.cli import main
from treadctl.cli.crash import guarded

sys.exit(guarded(main))
