"""``python -m treadctl.cli``: the headless subcommands (``treadctl`` itself also opens the app)."""

import sys

from treadctl.cli import main

sys.exit(main())
