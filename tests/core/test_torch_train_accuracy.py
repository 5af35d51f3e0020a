"""The exported train.py labels samples as the app does: a network ending in Sigmoid gives
probabilities, thresholded at 0.5 (the field case sigmoid-bce reported 0.5 against 1.0)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from neurocanvas.core.cli import main as cli_main

CASE = Path("/work/shared/cases/sigmoid-bce/project.ncproj")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

needs_case = pytest.mark.skipif(not CASE.exists(), reason="the field case is not on this machine")


def _train_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict, Path]:
    folder = tmp_path / "run"
    args = ["train", str(CASE), "--export", str(folder), "--format", "torch-train", "--json"]
    assert cli_main(args) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1]), folder


def _experiment(folder: Path) -> dict:
    """train.py's EXPERIMENT literal, read without running torch."""
    text = (folder / "train.py").read_text(encoding="utf-8")
    start = text.index("EXPERIMENT: dict[str, Any] = ") + len("EXPERIMENT: dict[str, Any] = ")
    end = text.index("\n\n\n", start)
    return eval(text[start:end])  # noqa: S307  (a literal we generated: dicts, lists, numbers)


@needs_case
def test_train_py_records_that_a_last_sigmoid_gives_probabilities(tmp_path, capsys):
    _, folder = _train_and_export(tmp_path, capsys)
    assert _experiment(folder)["output"] == "probabilities"


def test_train_py_records_logits_for_a_network_without_last_activation(tmp_path):
    out = tmp_path / "spiral"
    assert cli_main(["export", "spiral-classifier", "--format", "torch-train", "-o", str(out)]) == 0
    assert _experiment(out)["output"] == "logits"


@needs_case
@pytest.mark.torch
def test_train_py_accuracy_of_a_sigmoid_bce_network_is_the_clis(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("safetensors.torch")
    cli, folder = _train_and_export(tmp_path, capsys)
    # the CLI's trained weights, one epoch at a negligible lr: train.py's accuracy of them
    done = subprocess.run(
        [sys.executable, str(folder / "train.py"), "--init", str(folder / "weights.safetensors")]
        + ["--epochs", "1", "--lr", "1e-30", "--device", "cpu"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ours = json.loads(done.stdout.strip().splitlines()[0])
    assert cli["val_accuracy"] == 1.0  # the field case's right value
    assert ours["val_accuracy"] == pytest.approx(cli["val_accuracy"])
