"""The shipped examples load, validate, train, and reach the results their manifest states."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neurocanvas.core import manual_seed
from neurocanvas.core.datasets import make_dataset
from neurocanvas.core.io.examples import (
    EXAMPLES_DIR,
    ExampleError,
    default_example,
    example_path,
    list_examples,
    load_example,
    regenerate,
)
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.network.shapes import analyse
from neurocanvas.core.training import Trainer, TrainingConfig

NAMES = [
    "linear-regression",
    "polynomial-regression",
    "general-fit",
    "spiral-classifier",
    "digits-mlp",
    "digits-cnn",
    "residual-mlp",
]


def build(name: str, data_changes: dict | None = None, **config_changes):
    project = load_example(name)
    params = {**project.dataset_params, **(data_changes or {})}
    data = make_dataset(project.dataset_key, params, seed=project.dataset_seed)
    manual_seed(project.config.seed)
    model = compile_graph(project.graph, data.data_spec())
    config = TrainingConfig(**{**project.config.to_dict(), **config_changes})
    return project, data, model, config


def test_manifest_lists_every_example_with_its_stated_result():
    infos = list_examples()
    assert [i.name for i in infos] == NAMES
    for info in infos:
        assert info.title and info.description and info.result
        assert example_path(info.name).is_file()
    assert default_example() == "general-fit"


def test_shipped_files_match_the_generator(tmp_path: Path):
    regenerate(tmp_path)
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (EXAMPLES_DIR / path.name).read_bytes(), path.name
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in EXAMPLES_DIR.iterdir()}


def test_unknown_example_names_the_valid_ones():
    with pytest.raises(ExampleError, match="no example called 'nope'.*linear-regression"):
        load_example("nope")
    with pytest.raises(KeyError):  # ExampleError is a KeyError, as callers expect of a lookup
        example_path("nope")


@pytest.mark.parametrize("name", NAMES)
def test_example_validates_and_its_loss_falls_in_a_short_run(name: str):
    # the digits examples on a 400-image subset: the point is that they train, not how well
    subset = {"n_samples": 400} if project_dataset(name) == "digits" else None
    project, data, model, config = build(name, subset, epochs=2)
    report = analyse(project.graph, data.data_spec())
    assert report.ok, report.problems
    snap = Trainer(model, data, config).run()
    assert snap.state == "finished"
    assert snap.step_loss[-5:].mean() < snap.step_loss[:3].mean()


@pytest.mark.parametrize("name", NAMES)
def test_example_nodes_are_laid_out_left_to_right_without_overlap(name: str):
    graph = load_example(name).graph
    order = graph.topological_order()
    xs = [graph.nodes[i].pos[0] for i in order]
    assert xs == sorted(xs)  # data flows left to right
    boxes = [n.pos for n in graph.nodes.values()]
    for i, (x1, y1) in enumerate(boxes):
        for x2, y2 in boxes[i + 1 :]:
            assert abs(x1 - x2) >= 160 + 40 or abs(y1 - y2) >= 70 + 40  # ~160 x 70 px nodes


def test_general_fit_at_lr_10_diverges_and_restores_finite_weights():
    _, data, model, config = build("general-fit", None, lr=10.0, epochs=50)
    trainer = Trainer(model, data, config)
    snap = trainer.run()
    assert snap.state == "diverged", snap.message
    assert "lr 10" in snap.message and "step" in snap.message
    assert all(np.isfinite(v).all() for v in model.state_dict().values())
    assert np.isfinite(snap.fit["y"]).all()


def project_dataset(name: str) -> str:
    return load_example(name).dataset_key


def _train(name: str):
    _, data, model, config = build(name)
    snap = Trainer(model, data, config).run()
    assert snap.state == "finished", snap.message
    return model, snap


@pytest.mark.slow
def test_linear_regression_recovers_w_2_and_b_1():
    model, _ = _train("linear-regression")
    sd = model.state_dict()
    assert sd["linear.weight"].item() == pytest.approx(2.0, abs=0.05)
    assert sd["linear.bias"].item() == pytest.approx(1.0, abs=0.05)


@pytest.mark.slow
def test_polynomial_regression_recovers_3_2_1():
    model, _ = _train("polynomial-regression")
    sd = model.state_dict()
    np.testing.assert_allclose(sd["linear.weight"].ravel(), [2.0, 3.0], atol=0.1)
    assert sd["linear.bias"].item() == pytest.approx(1.0, abs=0.1)


@pytest.mark.slow
def test_general_fit_reaches_low_validation_error():
    _, snap = _train("general-fit")
    assert snap.val_loss[-1] < 0.03


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, accuracy",
    [
        ("spiral-classifier", 0.97),
        ("digits-mlp", 0.95),
        ("digits-cnn", 0.95),
        ("residual-mlp", 0.9),
    ],
)
def test_classifier_reaches_its_stated_accuracy(name: str, accuracy: float):
    _, snap = _train(name)
    assert snap.val_acc[-1] >= accuracy
    stated = next(i.result for i in list_examples() if i.name == name)
    assert f"{accuracy:.0%}" in stated


def test_manifest_is_plain_json_with_a_format_marker():
    manifest = json.loads((EXAMPLES_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "neurocanvas-examples" and manifest["version"] == 1
