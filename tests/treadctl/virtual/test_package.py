"""The virtual package as a whole (treadctl/virtual/__init__.py): its public surface, its
import graph (no module imports one that imports it back) and its cheap import."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import treadctl.virtual

PACKAGE = Path(treadctl.virtual.__file__).parent
PREFIX = "treadctl.virtual."


def imports_of(path: Path) -> set[str]:
    """The package's modules ``path`` imports anywhere (TYPE_CHECKING and functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name.removeprefix(PREFIX) for name in names if name.startswith(PREFIX)}
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = {path.stem: imports_of(path) for path in PACKAGE.glob("*.py")}
    graph.pop("__init__")  # the package surface imports everything, and nothing imports it

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in graph.get(todo.pop(), set()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert graph["radio"] == {"backend"}
    assert "radio" not in graph["backend"]
    cycles = sorted(module for module in graph if module in reachable(module))
    assert cycles == []


def test_every_public_name_resolves_to_its_module() -> None:
    for name in treadctl.virtual.__all__:
        value = getattr(treadctl.virtual, name)
        module = importlib.import_module(f"{PREFIX}{treadctl.virtual._HOMES[name]}")
        assert value is getattr(module, name), name
    assert set(treadctl.virtual._HOMES) == set(treadctl.virtual.__all__)


def test_old_import_paths_still_work() -> None:
    from treadctl.virtual import faults, quirks, radio
    from treadctl.virtual.peripheral import Faults, Quirks, quirks_by_name
    from treadctl.virtual.world import LINK_LOSS_REASON, VirtualRadio

    assert Faults is faults.Faults
    assert Quirks is quirks.Quirks and quirks_by_name is quirks.quirks_by_name
    assert VirtualRadio is radio.VirtualRadio and LINK_LOSS_REASON == radio.LINK_LOSS_REASON


def test_the_fault_vocabulary_imports_nothing_heavy() -> None:
    # treadctl.cli imports it before the app window paints (tests/ui/test_startup.py).
    code = (
        "import sys\n"
        "import treadctl.virtual, treadctl.virtual.simulated_faults\n"
        "print(sorted(m for m in ('bleak', 'bumble', 'asyncio', 'protocols.ftms') "
        "if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
