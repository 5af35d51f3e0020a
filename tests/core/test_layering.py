"""core must stay free of Qt, pyqtgraph, the app and the widgets (it runs headless)."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import neurocanvas.core

FORBIDDEN = ("PySide6", "pyqtgraph", "neurocanvas.app", "neurocanvas.widgets", "shiboken6")
CORE_DIR = Path(neurocanvas.core.__file__).parent


def _is_forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def _resolve(package: str, level: int, module: str | None) -> str:
    """The absolute name a relative ``from ... import`` refers to, from ``package``."""
    parts = package.split(".")
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join(base + ([module] if module else []))


def _imported_names(tree: ast.AST, package: str = "neurocanvas.core") -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                module = node.module or ""
            else:
                module = _resolve(package, node.level, node.module)
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _package_of(path: Path) -> str:
    """Package a source file belongs to (a module's and an ``__init__``'s own folder)."""
    return ".".join(path.relative_to(CORE_DIR.parent.parent).parent.parts)


def test_no_core_source_imports_qt_or_the_gui() -> None:
    offenders = []
    for path in sorted(CORE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [
            f"{path.relative_to(CORE_DIR.parent.parent)}:{line} imports {name}"
            for line, name in _imported_names(tree, _package_of(path))
            if _is_forbidden(name)
        ]
    assert not offenders, "core must not import Qt or the GUI:\n" + "\n".join(offenders)


def test_the_checker_sees_forbidden_imports() -> None:
    for source in (
        "import pyqtgraph as pg",
        "from PySide6.QtCore import QObject",
        "from ... import widgets",  # from neurocanvas.core.nn: reaches neurocanvas.widgets
        "importlib.import_module('neurocanvas.app.main')",
    ):
        names = _imported_names(ast.parse(source), "neurocanvas.core.nn")
        assert any(_is_forbidden(n) for _, n in names), source
    relative_inside_core = _imported_names(ast.parse("from .. import app"), "neurocanvas.core.nn")
    assert not any(_is_forbidden(n) for _, n in relative_inside_core)


def test_importing_every_core_module_loads_no_qt() -> None:
    modules = [neurocanvas.core.__name__] + [
        info.name for info in pkgutil.walk_packages([str(CORE_DIR)], prefix="neurocanvas.core.")
    ]
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', "
        "'shiboken6') or m.startswith(('neurocanvas.app', 'neurocanvas.widgets')))\n"
        "print(json.dumps(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing neurocanvas.core loaded GUI modules: {loaded}"
