"""File > Export never writes the project's own files, its .py export's sidecar included."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from neurocanvas.core.cli import main as cli_main
from neurocanvas.core.io.project import weights_file

SEMICOLON = Path(__file__).resolve().parents[1] / "cases" / "semicolon"


def test_exporting_code_whose_weights_beside_are_the_projects_is_refused(
    window_factory, tmp_path, monkeypatch, dialogs
):
    for name in ("project.ncproj", "data.csv"):
        shutil.copy(SEMICOLON / name, tmp_path / name)
    project = tmp_path / "project.ncproj"
    assert cli_main(["train", str(project), "--epochs", "1", "--save", "--quiet"]) == 0
    w = window_factory("linear-regression")
    assert w.open_file(str(project))
    weights = weights_file(project)
    assert weights is not None
    before = hashlib.sha256(weights.read_bytes()).hexdigest()
    script = weights.with_suffix(".py")  # the export writes <stem>.safetensors beside it
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(script), ""))
    assert w.export_dialog("torch") == []
    kind, title, text = dialogs[-1]
    assert (kind, title) == ("critical", "Export refused")
    assert f"{weights} (written with {script}) is the project's weights file" in text
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == before
    assert not script.exists()
