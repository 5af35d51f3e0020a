"""Training on one's own CSV from the command line, and commands that never print a traceback:
``new`` / ``train`` / ``validate`` / ``export``, typos, unexpected errors, no display."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurocanvas import launcher
from neurocanvas.core.cli import main
from neurocanvas.core.io.project import load_project

CASES = Path(__file__).resolve().parents[1] / "cases"  # the field cases (../shared/cases)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _iris_like(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for k, name in enumerate(["setosa", "versicolor", "virginica"]):
        for _ in range(40):
            a, b = rng.normal(loc=(k * 2.0, 10.0 - k * 3.0), scale=0.4)
            rows.append(f"{a:.3f},{b:.3f},{name}")
    path = tmp_path / "flowers.csv"
    path.write_text("length,width,species\n" + "\n".join(rows) + "\n")
    return path


def test_new_then_train_validate_export_on_a_csv(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _iris_like(tmp_path)
    code, out, err = run(capsys, "new", data, "--target", "species", "-o", "flowers.ncproj")
    assert code == 0, err
    assert "3 classes (setosa, versicolor, virginica), classification" in out
    project, _ = load_project(tmp_path / "flowers.ncproj")
    assert project.dataset_params["task"] == "classification"
    assert (
        json.loads((tmp_path / "flowers.ncproj").read_text())["dataset"]["params"]["path"]
        == "flowers.csv"
    )  # beside the project: stored relative

    code, out, err = run(capsys, "validate", "flowers.ncproj")
    assert code == 0 and "(N, 3)" in out
    code, out, err = run(
        capsys, "train", "flowers.ncproj", "--epochs", "30", "--json", "--export", "m.onnx"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["val_accuracy"] > 0.9 and (tmp_path / "m.onnx").exists()
    code, _, err = run(capsys, "export", "flowers.ncproj", "--output", "m.py")
    assert code == 0, err
    assert (tmp_path / "m.safetensors").exists()


def test_new_guesses_regression_and_standardises_a_large_target(tmp_path, capsys):
    rows = "\n".join(f"{i},{i % 7},{100_000 + 2_500 * i + 300 * (i % 7)}" for i in range(80))
    (tmp_path / "houses.csv").write_text("area,rooms,price\n" + rows + "\n")
    code, out, _ = run(capsys, "new", tmp_path / "houses.csv", "-o", tmp_path / "h")
    assert code == 0 and "regression" in out
    project, _ = load_project(tmp_path / "h.ncproj")
    assert project.dataset_params["standardize_target"] is True
    assert project.dataset_params["target_column"] == ""


def test_new_refuses_to_overwrite_and_names_bad_columns(tmp_path, capsys):
    data = _iris_like(tmp_path)
    (tmp_path / "p.ncproj").write_text("keep me")
    code, _, err = run(capsys, "new", data, "-o", tmp_path / "p.ncproj")
    assert code == 1 and "already exists" in err
    assert (tmp_path / "p.ncproj").read_text() == "keep me"
    code, _, err = run(capsys, "new", data, "--target", "specis", "-o", tmp_path / "q.ncproj")
    assert code == 1 and "unknown column 'specis'" in err and len(err.splitlines()) == 1


def test_semicolon_cases_train_from_the_cli(tmp_path, capsys):
    code, out, err = run(capsys, "train", CASES / "semicolon" / "project.ncproj", "--json")
    assert code == 0, err
    assert json.loads(out)["state"] == "finished"


def test_batchnorm_cases_never_print_a_traceback(capsys):
    code, _, err = run(capsys, "train", CASES / "batchnorm-last-batch" / "batch-size-one.ncproj")
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "needs at least 2 samples per batch" in err
    code, _, err = run(capsys, "validate", CASES / "batchnorm-last-batch" / "batch-size-one.ncproj")
    assert code == 1 and "batch size is 1" in err
    # the last batch of one (225 training samples at 32): the trainer drops it, as drop_last
    code, out, err = run(
        capsys, "train", CASES / "batchnorm-last-batch" / "last-batch-of-one.ncproj", "--json"
    )
    assert code == 0 and err == "" and json.loads(out)["state"] == "finished"


@pytest.mark.parametrize(("word", "closest"), [("tarin", "train"), ("vaildate", "validate")])
def test_a_mistyped_command_suggests_the_closest(capsys, word, closest):
    code, _, err = run(capsys, word, "x.ncproj")
    assert code == 2 and err.strip().endswith(f"did you mean '{closest}'?")
    assert len(err.strip().splitlines()) == 1


def test_the_launcher_catches_typos_before_opening_the_app(capsys, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert launcher.main(["exprot"]) == 2
    assert "did you mean 'export'?" in capsys.readouterr().err
    assert launcher.main(["general-fitt"]) == 2
    assert "did you mean 'general-fit'?" in capsys.readouterr().err


def test_without_a_display_the_app_says_so_in_one_line():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(
        [sys.executable, "-m", "neurocanvas"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "no display" in line and "neurocanvas train PROJECT.ncproj" in line
    assert launcher.display_problem({"DISPLAY": ":0"}, "linux") is None
    assert launcher.display_problem({}, "win32") is None


def test_an_unexpected_error_is_one_line_and_a_log(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NEUROCANVAS_LOG_DIR", str(tmp_path / "logs"))
    from neurocanvas.core.cli import validate

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(validate, "load_source", broken)
    code, _, err = run(capsys, "validate", "general-fit")
    assert code == 1
    (line,) = err.strip().splitlines()
    log = tmp_path / "logs" / "neurocanvas.log"
    assert line == (
        "neurocanvas: error: unexpected error while running 'neurocanvas validate general-fit' "
        f"(ZeroDivisionError: division by zero); details in {log}"
    )
    assert "Traceback" in log.read_text() and "in broken" in log.read_text()


def test_a_moved_project_folder_still_trains(tmp_path, capsys):
    src = tmp_path / "a" / "project"
    shutil.copytree(CASES / "semicolon", src)
    moved = tmp_path / "elsewhere" / "copy"
    moved.parent.mkdir()
    shutil.move(src, moved)
    code, out, err = run(capsys, "train", moved / "project.ncproj", "--epochs", "1", "--json")
    assert code == 0, err


def test_a_missing_data_file_is_named(tmp_path, capsys):
    shutil.copy(CASES / "semicolon" / "project.ncproj", tmp_path / "p.ncproj")
    code, _, err = run(capsys, "train", tmp_path / "p.ncproj")
    assert code == 1 and f"CSV file not found: {tmp_path / 'data.csv'}" in err


def test_new_on_a_csv_with_8000_columns_makes_a_project(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8000))
    header = ",".join(f"f{i}" for i in range(8000)) + ",y"
    body = "\n".join(",".join(f"{v:.4f}" for v in r) + f",{r[0] - r[1]:.4f}" for r in x)
    (tmp_path / "wide.csv").write_text(header + "\n" + body + "\n")
    code, out, err = run(
        capsys, "new", tmp_path / "wide.csv", "--target", "y", "-o", tmp_path / "wide.ncproj"
    )
    assert code == 0, err
    assert "8000 feature(s)" in out and "regression" in out


def test_new_refuses_classification_of_a_continuous_target_in_one_line(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 2))
    rows = "\n".join(f"{a:.4f},{b:.4f},{2 * a + b:.5f}" for a, b in x)
    (tmp_path / "comma.csv").write_text("a,b,y\n" + rows + "\n")
    code, out, err = run(
        capsys,
        "new",
        tmp_path / "comma.csv",
        "--target",
        "y",
        "--task",
        "classification",
        "-o",
        tmp_path / "c.ncproj",
    )
    assert code == 1 and not (tmp_path / "c.ncproj").exists()
    assert len(err.strip().splitlines()) == 1 and len(err) < 400
    assert "not whole" in err and "--task regression" in err


def test_new_with_many_classes_lists_only_the_first_few(tmp_path, capsys):
    rng = np.random.default_rng(2)
    rows = "\n".join(f"{rng.normal():.3f},{i % 30}" for i in range(300))
    (tmp_path / "many.csv").write_text("a,label\n" + rows + "\n")
    code, out, err = run(
        capsys, "new", tmp_path / "many.csv", "--task", "classification", "-o", tmp_path / "m"
    )
    assert code == 0, err
    assert "30 classes (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... and 20 more)" in out
