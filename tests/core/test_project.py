"""Project files: round trip, atomic saving, and a clear error for every kind of damage."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from neurocanvas.core.io.examples import load_example
from neurocanvas.core.io.project import (
    Project,
    ProjectError,
    load_project,
    save_project,
    weights_file,
    weights_path,
)
from neurocanvas.core.training import TrainingConfig


def sample_project() -> Project:
    project = load_example("general-fit")
    project.config = TrainingConfig(epochs=7, lr=0.02, optimizer="sgd", momentum=0.5, seed=3)
    project.dataset_params = {"n_samples": 120, "noise": 0.2}
    project.dataset_seed = 9
    project.view = {"center": [10.5, 20.0], "zoom": 1.25}
    project.name = "My fit"
    return project


def saved(tmp_path: Path) -> Path:
    path = tmp_path / "net.ncproj"
    save_project(sample_project(), path)
    return path


def test_round_trip_keeps_graph_data_settings_view_and_weights(tmp_path: Path):
    project = sample_project()
    weights = {
        "linear1.weight": np.arange(32, dtype=np.float32).reshape(32, 1),
        "linear1.bias": np.linspace(-1, 1, 32).astype(np.float32),
    }
    path = tmp_path / "net.ncproj"
    save_project(project, path, weights)
    side = weights_file(path)
    assert side is not None and side.parent == tmp_path and side.is_file()
    assert re.fullmatch(r"net\.weights-[0-9a-f]{16}\.safetensors", side.name)

    loaded, loaded_weights = load_project(path)
    assert loaded.graph.to_dict() == project.graph.to_dict()
    assert loaded.config == project.config
    assert (loaded.dataset_key, loaded.dataset_params, loaded.dataset_seed) == (
        "sine",
        {"n_samples": 120, "noise": 0.2},
        9,
    )
    assert loaded.view == project.view and loaded.name == "My fit"
    assert loaded_weights.keys() == weights.keys()
    for k, v in weights.items():
        np.testing.assert_array_equal(loaded_weights[k], v)
        assert loaded_weights[k].dtype == v.dtype


def test_file_is_json_with_format_marker_and_no_sidecar_without_weights(tmp_path: Path):
    path = saved(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "neurocanvas-project" and data["version"] == 1
    assert data["training"]["lr"] == 0.02
    _, weights = load_project(path)
    assert weights is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.ncproj"]  # no temp files left


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _set(keys, value):
    def change(d):
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value

    return change


def _delete(keys):
    def change(d):
        for k in keys[:-1]:
            d = d[k]
        del d[keys[-1]]

    return change


DAMAGE = [
    # (description, how to damage, message pattern, field)
    ("wrong marker", _set(["format"], "something-else"), "not a NeuroCanvas project", None),
    ("newer version", _set(["version"], 2), "made by a newer NeuroCanvas", "version"),
    ("version not a number", _set(["version"], "one"), "version must be", "version"),
    ("no graph", _delete(["graph"]), "missing", "graph"),
    ("nodes not a list", _set(["graph", "nodes"], {}), "must be a list", "graph.nodes"),
    (
        "unknown layer type",
        _set(["graph", "nodes", 2, "type"], "Transformer"),
        "unknown layer type 'Transformer'",
        "graph.nodes[2].type",
    ),
    ("node without id", _delete(["graph", "nodes", 1, "id"]), "missing", "graph.nodes[1].id"),
    (
        "bad layer parameter",
        _set(["graph", "nodes", 1, "params", "out_features"], -3),
        "out_features",
        "graph.nodes[1].params.out_features",
    ),
    (
        "unknown layer parameter",
        _set(["graph", "nodes", 1, "params", "colour"], "red"),
        "has no parameter 'colour'",
        "graph.nodes[1].params.colour",
    ),
    ("bad position", _set(["graph", "nodes", 0, "pos"], [1]), "[x, y]", "graph.nodes[0].pos"),
    (
        "edge to nowhere",
        _set(["graph", "edges", 0, "dst"], "n99"),
        "refers to no node 'n99'",
        "graph.edges[0].dst",
    ),
    ("unknown dataset", _set(["dataset", "key"], "imagenet"), "unknown data set", "dataset.key"),
    (
        "bad dataset parameter",
        _set(["dataset", "params", "noise"], "loud"),
        "noise",
        "dataset.params.noise",
    ),
    (
        "unknown dataset parameter",
        _set(["dataset", "params", "colour"], 1),
        "has no parameter 'colour'",
        "dataset.params.colour",
    ),
    ("dataset key missing", _delete(["dataset", "key"]), "missing", "dataset.key"),
    ("negative lr", _set(["training", "lr"], -0.1), "lr must be", "training.lr"),
    ("lr as text", _set(["training", "lr"], "fast"), "must be a number", "training.lr"),
    ("bad optimizer", _set(["training", "optimizer"], "lbfgs"), "optimizer", "training.optimizer"),
    ("epochs as bool", _set(["training", "epochs"], True), "whole number", "training.epochs"),
    ("unknown setting", _set(["training", "turbo"], 1), "unknown training", "training.turbo"),
    ("view not an object", _set(["view"], [1, 2]), "must be an object", "view"),
]


@pytest.mark.parametrize("what, damage, message, field", DAMAGE, ids=[d[0] for d in DAMAGE])
def test_hand_broken_file_names_the_problem_and_field_and_is_not_rewritten(
    tmp_path: Path, what, damage, message, field
):
    path = saved(tmp_path)
    edit(path, damage)
    before = path.read_bytes()
    with pytest.raises(ProjectError, match=message) as info:
        load_project(path)
    assert info.value.field == field
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.ncproj"]


def test_invalid_json_reports_line_and_column(tmp_path: Path):
    path = saved(tmp_path)
    text = path.read_text(encoding="utf-8").replace('"version": 1,', '"version": 1,,', 1)
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ProjectError, match=r"not valid JSON: .* at line 3, column 16"):
        load_project(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.99])
def test_truncated_file_says_so(tmp_path: Path, keep: float):
    path = saved(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])
    before = path.read_bytes()
    with pytest.raises(ProjectError, match="truncated"):
        load_project(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"\x89PNG\r\n\x1a\n\x00\xff", "not a text file"), (b"[1, 2]", "format")],
)
def test_empty_binary_or_foreign_json_files_are_refused(tmp_path: Path, content, message):
    path = tmp_path / "x.ncproj"
    path.write_bytes(content)
    with pytest.raises(ProjectError, match=message):
        load_project(path)
    assert path.read_bytes() == content


def test_missing_file_names_the_path(tmp_path: Path):
    with pytest.raises(ProjectError, match="cannot read .*nothing.ncproj"):
        load_project(tmp_path / "nothing.ncproj")


@pytest.mark.parametrize("garbage", [b"", b"\x00" * 7, b"\xff" * 64, b"{not safetensors}"])
def test_corrupt_weights_file_opens_the_project_without_weights_and_says_so(
    tmp_path: Path, garbage
):
    path = tmp_path / "net.ncproj"
    save_project(sample_project(), path, {"w": np.ones((2, 2), np.float32)})
    side = weights_file(path)
    side.write_bytes(garbage)
    project, weights = load_project(path)
    assert weights is None
    assert project.graph.to_dict() == sample_project().graph.to_dict()
    assert len(project.notices) == 1
    assert f"weights file {side.name} is damaged" in project.notices[0]
    assert "opened without weights" in project.notices[0]
    assert side.read_bytes() == garbage


def test_truncated_weights_file_is_reported_as_a_notice(tmp_path: Path):
    path = tmp_path / "net.ncproj"
    save_project(sample_project(), path, {"w": np.ones((64, 64), np.float32)})
    side = weights_file(path)
    side.write_bytes(side.read_bytes()[:-100])
    project, weights = load_project(path)
    assert weights is None and "damaged" in project.notices[0]


def test_legacy_sidecar_of_a_file_without_weights_field_is_still_read(tmp_path: Path):
    path = tmp_path / "net.ncproj"
    save_project(sample_project(), path, {"w": np.ones((2, 2), np.float32)})
    data = json.loads(path.read_text())
    weights_file(path).rename(weights_path(path))
    del data["weights"]
    path.write_text(json.dumps(data))
    _, weights = load_project(path)
    assert weights is not None and np.array_equal(weights["w"], np.ones((2, 2), np.float32))


def test_failed_save_leaves_the_previous_file_intact(tmp_path: Path, monkeypatch):
    path = saved(tmp_path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    changed = sample_project()
    changed.name = "Changed"
    with pytest.raises(ProjectError, match="No space left on device"):
        save_project(changed, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.ncproj"]  # temp file removed


def test_unserialisable_project_is_refused_before_touching_the_file(tmp_path: Path):
    path = saved(tmp_path)
    before = path.read_bytes()
    project = sample_project()
    project.view = {"callback": object()}
    with pytest.raises(ProjectError, match="cannot save net.ncproj"):
        save_project(project, path)
    assert path.read_bytes() == before


def test_project_error_keeps_message_and_field_apart():
    err = ProjectError("must be a list", "graph.nodes")
    assert err.message == "must be a list" and err.field == "graph.nodes"
    assert str(err) == "must be a list (field graph.nodes)"
