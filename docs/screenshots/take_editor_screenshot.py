"""Take the program editor's screenshot: ``xvfb-run -a -s "-screen 0 1600x1000x24" uv run python
docs/screenshots/take_editor_screenshot.py [--error PNG]`` (or with ``QT_QPA_PLATFORM=offscreen``).

``editor.png``: the editor on a built-in program, with the application's stylesheet, as the
window's own ``grab()``. ``--error PNG`` also saves the same program with a speed typed without
its unit, to look at the inline error (not committed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402

from treadctl.program import builtin_programs  # noqa: E402
from ui.app import apply_style  # noqa: E402
from ui.program_editor import ProgramEditor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--error", type=Path, help="also save the editor showing an error here")
    parser.add_argument("--size", default="1280x900", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args()
    qapp = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(qapp, QApplication)
    apply_style(qapp)
    editor = ProgramEditor()
    width, height = (int(n) for n in args.size.split("x"))
    editor.resize(width, height)
    editor.load(builtin_programs()[0])
    editor.show()
    editor.select_step("steps[1].steps[0]")
    qapp.processEvents()
    path = HERE / "editor.png"
    editor.grab().save(str(path))
    print(f"saved {path}")
    if args.error:
        editor.set_field("steps[1].steps[0]", "speed", "4.5")
        editor.set_field("steps[2]", "repeat", "0")
        editor.select_step("steps[0]")
        qapp.processEvents()
        editor.grab().save(str(args.error))
        print(f"saved {args.error}")


if __name__ == "__main__":
    main()
