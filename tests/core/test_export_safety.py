"""Exports never replace a file unasked, never write the project's own files (sidecars and
folder files included) and refuse a suffix that contradicts --format; nothing is written
when they refuse."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from neurocanvas.core.cli import main
from neurocanvas.core.io.project import weights_file

SEMICOLON = Path(__file__).resolve().parents[1] / "cases" / "semicolon"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("project.ncproj", "data.csv"):
        shutil.copy(SEMICOLON / name, tmp_path / name)
    return tmp_path / "project.ncproj"


@pytest.fixture
def trained(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """The project with saved weights: (project file, its weights file)."""
    code, _, err = run(capsys, "train", str(project), "--epochs", "1", "--save", "--quiet")
    assert code == 0, err
    weights = weights_file(project)
    assert weights is not None and weights.exists()
    return project, weights


def test_torch_export_whose_sidecar_is_the_projects_weights_is_refused(capsys, trained):
    project, weights = trained
    before = digest(weights)
    script = weights.with_suffix(".py")  # its sidecar <stem>.safetensors is the weights file
    code, out, err = run(capsys, "export", str(project), "--format", "torch", "-o", str(script))
    assert code == 1 and out == ""
    assert f"{weights} (written with {script}) is the project's weights file" in err
    assert "nothing was written" in err and len(err.strip().splitlines()) == 1
    assert digest(weights) == before and not script.exists()


def test_direct_export_over_the_projects_weights_is_refused(capsys, trained):
    project, weights = trained
    before = digest(weights)
    code, _, err = run(capsys, "export", str(project), "-o", str(weights))
    assert code == 1
    assert f"{weights} is the project's weights file: choose another output path" in err
    assert digest(weights) == before


def test_exporting_onnx_over_an_existing_file_needs_force(capsys, project, tmp_path):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"someone's other model")
    code, out, err = run(capsys, "export", str(project), "-o", str(target))
    assert code == 1 and out == ""
    assert f"{target} already exists: pass --force" in err and len(err.strip().splitlines()) == 1
    assert target.read_bytes() == b"someone's other model"
    code, out, _ = run(capsys, "export", str(project), "-o", str(target), "--force")
    assert code == 0 and out.split() == [str(target)]
    assert target.read_bytes() != b"someone's other model"


def test_torch_export_with_an_existing_sidecar_writes_neither_file(capsys, project, tmp_path):
    sidecar = tmp_path / "net.safetensors"
    sidecar.write_bytes(b"kept")
    code, _, err = run(
        capsys, "export", str(project), "--format", "torch", "-o", str(tmp_path / "net.py")
    )
    assert code == 1 and f"{sidecar} already exists" in err
    assert sidecar.read_bytes() == b"kept" and not (tmp_path / "net.py").exists()


def test_training_folder_with_an_existing_readme_is_refused_whole(capsys, project, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "README.md").write_text("my notes")
    argv = ["export", str(project), "--format", "torch-train", "-o", str(folder)]
    code, _, err = run(capsys, *argv)
    assert code == 1 and f"{folder / 'README.md'} already exists: pass --force" in err
    assert sorted(p.name for p in folder.iterdir()) == ["README.md"]
    assert (folder / "README.md").read_text() == "my notes"
    code, out, _ = run(capsys, *argv, "--force")
    assert code == 0 and str(folder / "train.py") in out.split()


def test_train_export_over_an_existing_file_is_refused_before_training(capsys, project, tmp_path):
    target = tmp_path / "w.safetensors"
    target.write_bytes(b"kept")
    code, out, err = run(capsys, "train", str(project), "--epochs", "1", "--export", str(target))
    assert code == 1 and out == ""  # no metrics: the run did not start
    assert f"{target} already exists: pass --force" in err
    assert target.read_bytes() == b"kept"
    argv = ["train", str(project), "--epochs", "1", "--export", str(target), "--force", "--quiet"]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and str(target) in out and target.read_bytes() != b"kept"


@pytest.mark.parametrize(
    ("fmt", "name", "owner"),
    [
        ("torch", "x.onnx", "onnx"),
        ("npz", "w.safetensors", "safetensors"),
        ("safetensors", "net.py", "torch"),
        ("torch-train", "run.onnx", "onnx"),
    ],
)
def test_a_suffix_contradicting_format_is_refused(capsys, project, tmp_path, fmt, name, owner):
    target = tmp_path / name
    code, out, err = run(capsys, "export", str(project), "--format", fmt, "-o", str(target))
    assert code == 1 and out == ""
    assert f"{name} has the suffix of --format {owner}, but --format {fmt}" in err
    assert len(err.strip().splitlines()) == 1
    assert not target.exists() and not target.with_suffix(".safetensors").exists()
