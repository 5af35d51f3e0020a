"""The architecture rules in pyproject.toml's import-linter contracts hold, and fail when broken."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("importlinter")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "neurocanvas", tmp_path / "neurocanvas")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_core_importing_qt_breaks_a_contract(tree_copy: Path) -> None:
    backend = tree_copy / "neurocanvas" / "core" / "backend.py"
    backend.write_text(backend.read_text() + "\nimport PySide6  # noqa\n")
    result = _lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout
    assert "core never imports Qt or pyqtgraph BROKEN" in result.stdout


def test_engine_importing_the_builder_breaks_a_contract(tree_copy: Path) -> None:
    random = tree_copy / "neurocanvas" / "core" / "random.py"
    random.write_text(random.read_text() + "\nimport neurocanvas.core.network.graph  # noqa\n")
    result = _lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout
    assert "the engine never imports the builder BROKEN" in result.stdout


def test_widgets_importing_the_app_breaks_a_contract(tree_copy: Path) -> None:
    palette = tree_copy / "neurocanvas" / "widgets" / "palette.py"
    palette.write_text(palette.read_text() + "\nimport neurocanvas.app.settings  # noqa\n")
    result = _lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout
    assert "app -> widgets -> core, never upwards BROKEN" in result.stdout


def test_a_cycle_hidden_in_a_function_breaks_a_contract(tree_copy: Path) -> None:
    graph = tree_copy / "neurocanvas" / "core" / "network" / "graph.py"
    graph.write_text(
        graph.read_text() + "\n\ndef _dodge():\n    from neurocanvas.core.network import compiler\n"
    )
    result = _lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout
    assert "no import cycles between sibling modules BROKEN" in result.stdout
    assert "No cycles are allowed in neurocanvas.core.network." in result.stdout


def test_the_tree_keeps_every_contract() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout
