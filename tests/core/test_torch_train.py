"""The experiment exported as a PyTorch training folder: train.py reproduces the app's run,
runs data-parallel under torchrun, and its checkpoint imports back into the project."""

from __future__ import annotations

import json
import os
import py_compile
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from neurocanvas.core import Tensor, no_grad
from neurocanvas.core.cli import main as cli_main
from neurocanvas.core.cli._common import load_source
from neurocanvas.core.datasets import make_dataset
from neurocanvas.core.io.export import (
    EXPORT_FORMATS,
    Experiment,
    ExportError,
    export_model,
    import_weights,
    load_weights,
    read_preprocessing,
)
from neurocanvas.core.io.export.torch_train import initial_weights, lr_schedule
from neurocanvas.core.io.project import Project
from neurocanvas.core.network.compiler import compile_graph, loss_targets, make_loss
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.random import default_rng, manual_seed
from neurocanvas.core.training import Trainer
from neurocanvas.core.training.runs import RunRecord

EPOCHS = 3
# one thread each: the test machine has 2 cores shared with everything else
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _csv_project(tmp_path) -> Project:
    """A CSV classification with text labels and columns far from unit scale (standardised)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(150, 3)) * [1.0, 100.0, 0.01] + [0.0, 500.0, 2.0]
    score = x[:, 0] + (x[:, 1] - 500) / 100 - (x[:, 2] - 2) / 0.01
    labels = np.where(score > 0.5, "yes", np.where(score < -0.5, "no", "maybe"))
    path = tmp_path / "table.csv"
    lines = ["a,b,c,label"] + [f"{r[0]:.5f},{r[1]:.5f},{r[2]:.5f},{s}" for r, s in zip(x, labels)]
    path.write_text("\n".join(lines) + "\n")
    g = Graph()
    nodes = [
        g.add_node("Input", {"shape": (3,)}),
        g.add_node("Linear", {"out_features": 16}),
        g.add_node("ReLU"),
        g.add_node("Linear", {"out_features": 3}),
        g.add_node("Output", {"loss": "cross_entropy"}),
    ]
    for a, b in zip(nodes, nodes[1:]):
        g.connect(a.id, "out", b.id, "in")
    params = {"path": str(path), "target_column": "label", "task": "classification"}
    return Project(graph=g, dataset_key="csv", dataset_params=params, name="table")


def _app_run(project: Project, epochs: int = EPOCHS, lr_change_at: int = 0):
    """The app's run: seeded weights, the Trainer, optionally the lr slider moved mid-run."""
    dataset = make_dataset(project.dataset_key, project.dataset_params, project.dataset_seed)
    config = replace(project.config, epochs=epochs)
    project = replace(project, config=config)
    manual_seed(config.seed)
    model = compile_graph(project.graph, dataset.data_spec())
    trainer = Trainer(model, dataset, config)
    while not trainer.finished:
        if lr_change_at and trainer.global_step == lr_change_at:
            trainer.control.set(lr=config.lr / 3)
        trainer.step()
    return project, dataset, model, trainer


def _export(tmp_path, project, dataset, model, trainer, name="run"):
    experiment = Experiment(project, dataset, list(trainer.lr_changes))
    folder = tmp_path / name
    export_model(model, folder, "torch-train", name, experiment=experiment)
    return folder


def _last_metrics(stdout: str) -> dict:
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert lines, stdout
    return lines[-1]


def _val_loss(model, dataset) -> float:
    model.eval()
    with no_grad():
        out = model(Tensor(dataset.x_val))
        target = loss_targets(model.loss_kind, dataset.y_val)
        return float(make_loss(model.loss_kind)(out, Tensor(target)).item())


@pytest.fixture(params=["general-fit", "spiral-classifier", "csv"])
def experiment_run(request, tmp_path):
    if request.param == "csv":
        project = _csv_project(tmp_path)
    else:
        project = load_source(request.param, use_saved_weights=False).project
    return _app_run(project, lr_change_at=7)


# ------------------------------------------------------------------ without torch
def test_training_folder_holds_model_script_readme_weights_and_the_runs_settings(tmp_path):
    project, dataset, model, trainer = _app_run(
        load_source("general-fit").project, epochs=1, lr_change_at=4
    )
    folder = _export(tmp_path, project, dataset, model, trainer)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "README.md",
        "data.npz",
        "initial.safetensors",
        "model.py",
        "train.py",
        "weights.safetensors",
    ]
    py_compile.compile(str(folder / "train.py"), doraise=True)
    text = (folder / "train.py").read_text()
    steps_per_epoch = -(-len(dataset.x_train) // project.config.batch_size)
    assert f"[{4 / steps_per_epoch!r}, {project.config.lr / 3!r}]" in text
    assert "'optimizer': 'adam'" in text and "'loss': 'mse'" in text
    with np.load(folder / "data.npz") as data:
        np.testing.assert_array_equal(data["x_val"], dataset.x_val)
    saved = load_weights(folder / "weights.safetensors")
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(saved[key], value)
    assert "torchrun --nproc_per_node=2 train.py" in (folder / "README.md").read_text()


def test_initial_weights_are_the_seeded_ones_and_leave_the_shared_generator_alone():
    project = load_source("spiral-classifier").project
    dataset = make_dataset(project.dataset_key, project.dataset_params)
    manual_seed(123)
    before = default_rng().bit_generator.state
    weights = initial_weights(project, dataset)
    assert default_rng().bit_generator.state == before
    manual_seed(project.config.seed)
    fresh = compile_graph(project.graph, dataset.data_spec()).state_dict()
    for key, value in fresh.items():
        np.testing.assert_array_equal(weights[key], value)


def test_lr_schedule_counts_in_epochs_so_it_survives_fewer_steps_per_process():
    project = load_source("general-fit").project
    dataset = make_dataset(project.dataset_key, project.dataset_params)
    steps = -(-len(dataset.x_train) // project.config.batch_size)
    experiment = Experiment(project, dataset, [(0, 0.01), (steps * 2, 0.1), (steps * 5 // 2, 1.0)])
    assert lr_schedule(experiment) == [[0.0, 0.01], [2.0, 0.1], [2.5, 1.0]]
    assert lr_schedule(Experiment(project, dataset)) == [[0.0, project.config.lr]]
    # a saved project: the last run in the runs table gives the schedule
    run = RunRecord(
        1,
        "initial weights",
        {"lr": 0.02, "optimizer": "adam"},
        changes=[(steps, "lr", 0.02, 0.2), (steps, "momentum", 0.9, 0.5)],
    )
    saved = replace(project, runs=[RunRecord(0, "initial weights", {"lr": 9.0}), run])
    assert lr_schedule(Experiment(saved, dataset)) == [[0.0, 0.02], [1.0, 0.2]]


def test_training_export_needs_a_data_set_and_a_folder_name(tmp_path):
    loaded = load_source("general-fit")
    with pytest.raises(ExportError, match="needs the project's data set"):
        export_model(
            loaded.model,
            tmp_path / "x",
            "torch-train",
            "x",
            experiment=Experiment(loaded.project, None),
        )
    with pytest.raises(ExportError, match="needs the project"):
        export_model(loaded.model, tmp_path / "x", "torch-train", "x")
    (tmp_path / "taken").write_text("a file")
    experiment = Experiment(loaded.project, loaded.dataset)
    with pytest.raises(ExportError, match="a file has that name"):
        export_model(loaded.model, tmp_path / "taken", "torch-train", "x", experiment=experiment)
    assert EXPORT_FORMATS["torch-train"].suffix == ""


def test_cli_exports_the_training_folder(tmp_path, capsys):
    out = tmp_path / "spiral"
    assert cli_main(["export", "spiral-classifier", "--format", "torch-train", "-o", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert str(out / "train.py") in printed and (out / "data.npz").exists()


# ------------------------------------------------------------------ with torch, in subprocesses
@pytest.mark.torch
def test_train_py_reaches_the_apps_losses_and_its_checkpoint_imports_back(experiment_run, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("safetensors.torch")
    project, dataset, model, trainer = experiment_run
    folder = _export(tmp_path, project, dataset, model, trainer)
    done = subprocess.run(
        [sys.executable, str(folder / "train.py")],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ours = _last_metrics(done.stdout)
    app_train, app_val = float(trainer.train_loss.view()[-1]), float(trainer.val_loss.view()[-1])
    assert ours["epoch"] == EPOCHS
    assert ours["train_loss"] == pytest.approx(app_train, rel=0.1)
    assert ours["val_loss"] == pytest.approx(app_val, rel=0.1)
    # weights back in: names and shapes checked, and they compute the script's val loss
    fresh = compile_graph(project.graph, dataset.data_spec())
    import_weights(fresh, folder / "checkpoint.safetensors")
    assert _val_loss(fresh, dataset) == pytest.approx(ours["val_loss"], rel=1e-4)
    recorded = read_preprocessing(folder / "checkpoint.safetensors")
    if dataset.preprocessing.is_identity:  # sine and spirals are used as generated
        assert recorded is None
    else:  # the CSV's standardisation travels with the weights
        assert recorded is not None and recorded.same_as(dataset.preprocessing)


@pytest.mark.torch
def test_torchrun_two_cpu_processes_train_data_parallel_and_the_checkpoint_imports_back(tmp_path):
    pytest.importorskip("torch")
    project, dataset, model, trainer = _app_run(load_source("spiral-classifier").project, epochs=1)
    folder = _export(tmp_path, project, dataset, model, trainer)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(folder / "train.py"),
        "--epochs",
        "2",
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [m["epoch"] for m in lines] == [1, 2]  # rank 0 reports, once per epoch
    assert lines[1]["train_loss"] < lines[0]["train_loss"]
    fresh = compile_graph(project.graph, dataset.data_spec())
    import_weights(fresh, folder / "checkpoint.safetensors")
    assert _val_loss(fresh, dataset) == pytest.approx(lines[-1]["val_loss"], rel=1e-4)


@pytest.mark.torch
def test_train_py_reads_a_semicolon_decimal_comma_csv_into_the_apps_exact_arrays(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("safetensors.torch")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 2)) * [3.0, 1000.0]
    y = 2 * x[:, 0] + x[:, 1] / 100 + 5000
    path = tmp_path / "semi.csv"
    rows = ["p;q;out"] + [f"{a:.4f};{b:.3f};{c:.2f}".replace(".", ",") for a, b, c in zip(*x.T, y)]
    path.write_text("\n".join(rows) + "\n")
    project = _csv_project(tmp_path)
    params = {"path": str(path), "target_column": "out", "standardize_target": True}
    project = replace(project, dataset_params=params)
    by_type = {n.type: n.id for n in project.graph.nodes.values()}
    project.graph.set_param(project.graph.node_by_name("linear2").id, "out_features", 1)
    project.graph.set_param(by_type["Output"], "loss", "mse")
    project.graph.set_param(by_type["Input"], "shape", (2,))
    project, dataset, model, trainer = _app_run(project, epochs=1)
    folder = _export(tmp_path, project, dataset, model, trainer)
    import importlib.util

    spec = importlib.util.spec_from_file_location("exported_train", folder / "train.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    arrays = script.load_data(script.EXPERIMENT["data"], "mse", None)
    expected = [dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val]
    for got, want in zip(arrays, expected):
        np.testing.assert_allclose(got, np.asarray(want).reshape(got.shape), rtol=1e-5, atol=1e-6)
    assert abs(float(dataset.y_train.std())) < 10  # the target is standardised, not ~5000
