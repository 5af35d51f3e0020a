"""The headless CLI: exit codes, one-line errors, JSON output, nothing saved unasked."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from neurocanvas.core.cli import main
from neurocanvas.core.io.examples import list_examples, load_example
from neurocanvas.core.io.export import load_weights
from neurocanvas.core.io.project import save_project


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_examples_lists_every_example(capsys):
    code, out, _ = run(capsys, "examples")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == [e.name for e in list_examples()]
    assert "general-fit" in names and "linear-regression" in names


def test_examples_json(capsys):
    code, out, _ = run(capsys, "examples", "--json")
    assert code == 0
    assert {e["name"] for e in json.loads(out)} == {e.name for e in list_examples()}


def test_validate_prints_shapes_of_an_example(capsys):
    code, out, err = run(capsys, "validate", "digits-cnn")
    assert code == 0 and err == ""
    assert "(N, 1, 8, 8)" in out and "(N, 10)" in out
    assert "parameters" in out


def test_validate_reports_errors_and_exits_1(tmp_path, capsys):
    project = load_example("digits-mlp")
    linear = next(n for n in project.graph.nodes.values() if n.type == "Linear")
    project.graph.set_param(linear.id, "out_features", 7)  # Output must give 10 classes
    (flatten,) = [n for n in project.graph.nodes.values() if n.type == "Flatten"]
    (into,) = project.graph.edges_into(flatten.id)
    (out_of,) = project.graph.edges_out_of(flatten.id)
    project.graph.remove_node(flatten.id)  # and wire the image straight into the Linear
    project.graph.connect(into.src, into.src_port, out_of.dst, out_of.dst_port)
    save_project(project, tmp_path / "broken.ncproj")
    code, out, err = run(capsys, "validate", str(tmp_path / "broken.ncproj"))
    assert code == 1
    assert "error:" in err and "add a Flatten" in err


def test_validate_json_for_an_invalid_graph(tmp_path, capsys):
    project = load_example("linear-regression")
    out_node = next(n for n in project.graph.nodes.values() if n.type == "Output")
    edge = project.graph.edges_into(out_node.id)[0]
    project.graph.disconnect(edge)
    save_project(project, tmp_path / "open.ncproj")
    code, out, _ = run(capsys, "validate", str(tmp_path / "open.ncproj"), "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert any(p["node"] == out_node.name for p in data["problems"])


def test_train_json_prints_one_object_and_saves_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "train", "linear-regression", "--epochs", "3", "--json")
    assert code == 0
    result = json.loads(out)  # exactly one JSON document on stdout
    assert result["state"] == "finished" and result["epochs"] == 3
    assert np.isfinite(result["train_loss"]) and np.isfinite(result["val_loss"])
    assert list(tmp_path.iterdir()) == []


def test_train_accepts_overrides_and_reports_accuracy(capsys):
    code, out, _ = run(
        capsys,
        "train",
        "spiral-classifier",
        "--epochs",
        "2",
        "--lr",
        "0.01",
        "--batch-size",
        "64",
        "--seed",
        "3",
        "--json",
    )
    result = json.loads(out)
    assert code == 0 and 0.0 <= result["val_accuracy"] <= 1.0


def test_train_is_deterministic_for_a_seed(capsys):
    argv = ("train", "general-fit", "--epochs", "2", "--seed", "5", "--json")
    first = json.loads(run(capsys, *argv)[1])
    second = json.loads(run(capsys, *argv)[1])
    assert first["train_loss"] == second["train_loss"]


def test_train_export_writes_the_trained_weights(tmp_path, capsys):
    target = tmp_path / "fit.safetensors"
    code, out, _ = run(
        capsys, "train", "general-fit", "--epochs", "1", "--export", str(target), "--json"
    )
    assert code == 0
    assert json.loads(out)["exported"] == [str(target)]
    assert "fc1.weight" in load_weights(target) or len(load_weights(target)) > 0


@pytest.mark.parametrize("fmt,suffix", [("npz", ".npz"), ("onnx", ".onnx"), ("torch", ".py")])
def test_export_without_training(tmp_path, capsys, fmt, suffix):
    target = tmp_path / f"model{suffix}"
    code, out, _ = run(capsys, "export", "residual-mlp", "--format", fmt, "--output", str(target))
    assert code == 0 and target.exists()
    assert str(target) in out


def test_export_uses_given_weights(tmp_path, capsys):
    trained = tmp_path / "trained.npz"
    assert (
        run(capsys, "train", "general-fit", "--epochs", "2", "--export", str(trained), "--json")[0]
        == 0
    )
    again = tmp_path / "again.npz"
    code, _, _ = run(
        capsys, "export", "general-fit", "--weights", str(trained), "--output", str(again)
    )
    assert code == 0
    a, b = load_weights(trained), load_weights(again)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_export_refuses_weights_of_another_network(tmp_path, capsys):
    other = tmp_path / "other.npz"
    run(capsys, "export", "digits-mlp", "--output", str(other))
    code, _, err = run(
        capsys,
        "export",
        "general-fit",
        "--weights",
        str(other),
        "--output",
        str(tmp_path / "x.npz"),
    )
    assert code == 1
    assert err.startswith("neurocanvas: error: the weights do not fit")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.npz").exists()


@pytest.mark.parametrize(
    "argv,needle",
    [
        (("train", "no-such-example"), "neither a project file nor an example"),
        (("train", "general-fit", "--lr", "-1"), "lr must be"),
        (("train", "general-fit", "--epochs", "0"), "epochs must be"),
        (("validate", "missing.ncproj"), "missing.ncproj"),
        (("export", "general-fit", "--output", "model.weird"), "cannot tell the export format"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert needle in err
    assert len(err.strip().splitlines()) == 1


def test_cuda_without_cupy_says_what_to_install(capsys):
    pytest.importorskip("numpy")
    try:
        import cupy  # noqa: F401

        pytest.skip("CuPy is installed here")
    except ImportError:
        pass
    code, _, err = run(capsys, "train", "general-fit", "--epochs", "1", "--device", "cuda")
    assert code == 1 and "neurocanvas[gpu]" in err


def test_corrupt_project_is_refused_and_left_unchanged(tmp_path, capsys):
    path = tmp_path / "bad.ncproj"
    path.write_bytes(b'{"format": "neurocanvas-project", "version": 1, "graph": ')
    code, _, err = run(capsys, "train", str(path), "--export", str(tmp_path / "w.npz"))
    assert code == 1 and "bad.ncproj" in err
    assert path.read_bytes() == b'{"format": "neurocanvas-project", "version": 1, "graph": '
    assert not (tmp_path / "w.npz").exists()


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train"])
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_entry_point_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "neurocanvas", "examples"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "general-fit" in done.stdout
