"""The CLI never destroys what it reads, and its documented workflow exports trained weights."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from neurocanvas.core.cli import main
from neurocanvas.core.io.project import load_project

CASES = Path(__file__).resolve().parents[1] / "cases"  # copies of ../shared/cases
SEMICOLON = CASES / "semicolon"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    if not SEMICOLON.exists():
        pytest.fail("tests/cases/semicolon is missing")
    for name in ("project.ncproj", "data.csv", "decimal-comma.ncproj", "decimal-comma.csv"):
        shutil.copy(SEMICOLON / name, tmp_path / name)
    return tmp_path / "project.ncproj"


def test_export_over_the_project_file_is_refused_and_the_file_kept(capsys, project):
    before = digest(project)
    code, out, err = run(
        capsys, "export", str(project), "--output", str(project), "--format", "onnx"
    )
    assert code == 1
    assert "is the project file" in err and len(err.strip().splitlines()) == 1
    assert digest(project) == before


def test_train_export_over_the_data_file_is_refused_and_the_data_kept(capsys, project):
    data = project.parent / "data.csv"
    before = digest(data)
    code, _, err = run(
        capsys, "train", str(project), "--epochs", "1", "--export", str(data), "--format", "onnx"
    )
    assert code == 1
    assert "is the project's data file" in err
    assert digest(data) == before


def test_a_negative_seed_is_one_line_naming_the_range(capsys):
    code, _, err = run(capsys, "train", "general-fit", "--seed", "-3", "--epochs", "1")
    assert code == 1
    assert err.strip() == "neurocanvas: error: seed must be between 0 and 4294967295, got -3"


def test_train_save_then_export_gives_the_trained_model(capsys, project, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    code, _, err = run(capsys, "export", str(project), "-o", str(tmp_path / "untrained.onnx"))
    assert code == 0 and "no trained weights" in err
    code, out, _ = run(
        capsys,
        "train",
        str(project),
        "--epochs",
        "30",
        "--save",
        "--quiet",
        "--export",
        str(tmp_path / "during.onnx"),
    )
    assert code == 0 and f"saved: {project}" in out
    _, weights = load_project(project)
    assert weights is not None
    code, _, err = run(capsys, "export", str(project), "-o", str(tmp_path / "after.onnx"))
    assert code == 0 and "no trained weights" not in err
    x = np.array([[1.5, 3.55], [2.5, 1.55], [4.5, 0.24]], dtype=np.float32)

    def predict(name: str) -> np.ndarray:
        session = onnxruntime.InferenceSession(str(tmp_path / name))
        return session.run(None, {session.get_inputs()[0].name: x})[0]

    np.testing.assert_allclose(predict("after.onnx"), predict("during.onnx"), rtol=1e-6)
    assert not np.allclose(predict("after.onnx"), predict("untrained.onnx"))


def test_a_project_whose_input_disagrees_with_its_data_takes_the_data_shape(capsys, project):
    # cases/semicolon/decimal-comma.ncproj says Input (N, 1); its CSV has three feature columns
    code, out, err = run(
        capsys, "train", str(project.parent / "decimal-comma.ncproj"), "--epochs", "2", "--quiet"
    )
    assert code == 0, err
    assert "Input 'input' now takes the data set's shape (N, 3)" in err
    assert "state: finished" in out
