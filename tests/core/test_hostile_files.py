"""One regression test per failure class the attack of issue 9 found in files and imports.

(The fuzzers in ``test_fuzz_files.py`` keep looking for new ones; the save faults are in
``test_project_save_faults.py``.)
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from neurocanvas.core import manual_seed
from neurocanvas.core.cli import main as cli_main
from neurocanvas.core.datasets import DatasetError, make_dataset
from neurocanvas.core.io.examples import example_path, load_example
from neurocanvas.core.io.export import (
    ExportError,
    WeightsError,
    export_model,
    import_weights,
    save_weights,
)
from neurocanvas.core.io.export.code_plan import code_plan
from neurocanvas.core.io.export.torch_code import torch_code
from neurocanvas.core.io.limits import MAX_BATCH_SIZE, MAX_DEPTH, MAX_EPOCHS, MAX_SIZE
from neurocanvas.core.io.project import Project, ProjectError, load_project, save_project
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.network.shapes import PARAMETER_BUDGET, DataSpec, analyse, over_budget


# --------------------------------------------------------------------------- helpers
def chain(*layers: tuple[str, dict]) -> Graph:
    graph = Graph()
    ids = [graph.add_node(t, params=p).id for t, p in layers]
    for a, b in zip(ids, ids[1:]):
        graph.connect(a, "out", b, "in")
    return graph


def bn_model():
    graph = chain(
        ("Input", {"shape": (3,)}),
        ("Linear", {"out_features": 4}),
        ("BatchNorm", {}),
        ("Output", {"loss": "mse"}),
    )
    manual_seed(0)
    return compile_graph(graph, DataSpec((3,), "regression", 4))


def edited_example(tmp_path: Path, edit) -> Path:
    data = json.loads(example_path("spiral-classifier").read_text())
    edit(data)
    path = tmp_path / "edited.ncproj"
    path.write_text(json.dumps(data))
    return path


def raw_example(tmp_path: Path, old: str, new: str) -> Path:
    text = example_path("spiral-classifier").read_text()
    assert old in text
    path = tmp_path / "raw.ncproj"
    path.write_text(text.replace(old, new, 1))
    return path


# --------------------------------------------------------------------------- poisoned exports
@pytest.mark.parametrize("fmt", ["safetensors", "npz", "onnx", "torch"])
def test_export_refuses_an_all_inf_model_naming_the_tensors(tmp_path: Path, fmt: str):
    model = bn_model()
    model.state_dict()  # the engine's arrays: poison them in place
    for param in model.parameters():
        param.data[...] = np.inf
    target = tmp_path / f"net.{ {'torch': 'py'}.get(fmt, fmt) }"
    with pytest.raises(ExportError, match=r"linear1\.weight holds 12 NaN or infinite"):
        export_model(model, target, fmt)
    assert list(tmp_path.iterdir()) == []


def test_save_weights_refuses_nan_and_writes_nothing(tmp_path: Path):
    with pytest.raises(WeightsError, match="w holds 1 NaN or infinite value"):
        save_weights({"w": np.array([1.0, np.nan], np.float32)}, tmp_path / "w.safetensors")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- poisoned imports
def import_refused(tmp_path: Path, state: dict, match: str, suffix: str = ".safetensors"):
    model = bn_model()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    path = tmp_path / f"w{suffix}"
    if suffix == ".npz":
        np.savez(path, **state)
    else:
        save_file(state, str(path))
    with pytest.raises(WeightsError, match=match):
        import_weights(model, path)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def good_state() -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in bn_model().state_dict().items()}


def test_import_refuses_nan_weights_naming_the_tensor(tmp_path: Path):
    state = good_state()
    state["linear1.bias"][2] = np.nan
    import_refused(tmp_path, state, r"linear1\.bias holds 1 NaN or infinite value")


def test_import_refuses_a_negative_batchnorm_running_variance(tmp_path: Path):
    state = good_state()
    state["bn1.running_var"][0] = -0.5
    import_refused(tmp_path, state, r"bn1\.running_var holds a negative variance \(-0.5\)")


@pytest.mark.parametrize(
    ("dtype", "says"),
    [
        ([("a", "f4"), ("b", "i4")], "has a structured dtype"),
        ("U3", "holds text"),
        ("S3", "holds bytes"),
        ("complex64", "holds complex numbers"),
        ("bool", "holds true/false values"),
        ("int64", "has dtype int64 but the model keeps float32"),
    ],
)
def test_import_refuses_non_real_and_integer_dtypes_without_casting(tmp_path, dtype, says):
    state = good_state()
    state["linear1.weight"] = np.zeros(state["linear1.weight"].shape, dtype=dtype)
    import_refused(tmp_path, state, rf"linear1\.weight {says}", suffix=".npz")


def test_import_refuses_float64_values_that_float32_cannot_hold(tmp_path: Path):
    state = good_state()
    state["linear1.weight"] = state["linear1.weight"].astype(np.float64)
    state["linear1.weight"][0, 0] = 1e300
    import_refused(tmp_path, state, r"linear1\.weight holds 1e\+300, beyond what float32 holds")


def test_an_npz_that_inflates_to_gigabytes_is_refused_from_its_directory(tmp_path: Path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f4", "fortran_order": False, "shape": (3 * 2**28,)}
        )
        archive.writestr("linear1.weight.npy", header.getvalue() + bytes(1 << 20))
    # the directory says what the member inflates to: 3 GiB, as a deflated run of zeros would
    raw = bytearray(path.read_bytes())
    entry = raw.index(b"PK\x01\x02")
    raw[entry + 24 : entry + 28] = struct.pack("<I", 3 * 2**30)
    path.write_bytes(bytes(raw))
    tracemalloc.start()
    try:
        with pytest.raises(
            WeightsError,
            match="inflates to 3,221,225,472 bytes; weights files are limited to 2,147,483,648",
        ):
            import_weights(bn_model(), path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024**2


# --------------------------------------------------------------------------- wrong error types
def test_a_5000_digit_integer_is_a_project_error_with_the_limit(tmp_path: Path):
    path = raw_example(tmp_path, '"epochs": ', '"epochs": ' + "9" * 5000 + ', "x": ')
    with pytest.raises(ProjectError, match="5,000 digits|5000 digits.*at most 20 digits"):
        load_project(path)


def test_an_integer_too_large_for_a_float_field_is_a_project_error(tmp_path: Path):
    path = edited_example(tmp_path, lambda d: d["training"].update(lr=10**400))
    with pytest.raises(ProjectError, match="at most 20 digits"):
        load_project(path)


def test_nesting_deeper_than_the_limit_is_a_project_error_not_recursion(tmp_path: Path):
    path = raw_example(tmp_path, '"view": {', '"view": {"deep": ' + "[" * 5000 + "]" * 5000 + ", ")
    with pytest.raises(ProjectError, match=f"nests 5,?00[0-9] levels deep.*at most {MAX_DEPTH}"):
        load_project(path)


def test_a_number_beyond_float_range_is_refused_not_read_as_infinity(tmp_path: Path):
    path = raw_example(tmp_path, '"lr": ', '"lr": 1e400, "y": ')
    with pytest.raises(ProjectError, match="1e400 is too large"):
        load_project(path)


@pytest.mark.parametrize("where", ["training", "dataset"])
def test_a_negative_seed_is_refused_with_the_range(tmp_path: Path, where: str):
    path = edited_example(tmp_path, lambda d: d[where].update(seed=-1))
    with pytest.raises(ProjectError, match="between 0 and 4,294,967,295, got -1") as err:
        load_project(path)
    assert err.value.field == f"{where}.seed"


def test_a_byte_order_mark_does_not_make_a_project_unreadable(tmp_path: Path):
    path = tmp_path / "bom.ncproj"
    path.write_bytes(b"\xef\xbb\xbf" + example_path("spiral-classifier").read_bytes())
    project, _ = load_project(path)
    assert project.graph.to_dict() == load_example("spiral-classifier").graph.to_dict()


# --------------------------------------------------------------------------- limits
@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("epochs", 10**12, f"epochs must be between 1 and {MAX_EPOCHS:,}"),
        ("batch_size", 10**15, f"batch_size must be between 1 and {MAX_BATCH_SIZE:,}"),
    ],
)
def test_huge_epochs_or_batch_size_are_refused_with_the_limit(tmp_path, field, value, says):
    path = edited_example(tmp_path, lambda d: d["training"].update({field: value}))
    with pytest.raises(ProjectError, match=says) as err:
        load_project(path)
    assert err.value.field == f"training.{field}"


def test_an_input_of_size_1e308_is_refused_with_the_limit(tmp_path: Path):
    path = edited_example(
        tmp_path, lambda d: d["graph"]["nodes"][0]["params"].update(shape=[1e308])
    )
    with pytest.raises(ProjectError, match=f"at most {MAX_SIZE:,}, got 1e\\+308") as err:
        load_project(path)
    assert err.value.field == "graph.nodes[0].params.shape"


def test_a_position_far_off_the_canvas_is_refused(tmp_path: Path):
    path = edited_example(tmp_path, lambda d: d["graph"]["nodes"][1].update(pos=[1e300, 0]))
    with pytest.raises(ProjectError, match="within ±10,000,000 pixels") as err:
        load_project(path)
    assert err.value.field == "graph.nodes[1].pos"


# --------------------------------------------------------------------------- data files
def idx(magic: int, dims: tuple[int, ...], payload: bytes = b"") -> bytes:
    return (
        struct.pack(">I", magic)[:3]
        + bytes([len(dims)])
        + struct.pack(f">{len(dims)}I", *dims)
        + payload
    )


def mnist_params(tmp_path: Path, images: bytes) -> dict:
    (tmp_path / "i").write_bytes(images)
    (tmp_path / "l").write_bytes(idx(2049, (1,), b"\x01"))
    return {
        "images_path": str(tmp_path / "i"),
        "labels_path": str(tmp_path / "l"),
        "variant": "MNIST",
        "max_samples": 0,
    }


def test_idx_dimensions_whose_product_overflows_int64_are_refused(tmp_path: Path):
    params = mnist_params(tmp_path, idx(2051, (2**21, 2**21, 2**22)))  # 2**64: 0 in int64
    with pytest.raises(DatasetError, match="18,446,744,073,709,551,616 bytes of data; the limit"):
        make_dataset("mnist", params, seed=0)


def test_a_gzip_idx_bomb_is_refused_from_its_header_before_inflating(tmp_path: Path):
    bomb = gzip.compress(idx(2051, (60000, 256, 256)) + bytes(64 * 1024**2), 1)
    params = mnist_params(tmp_path, bomb)
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match="3,932,160,000 bytes of data; the limit is"):
            make_dataset("mnist", params, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024**2


def test_an_unknown_csv_column_lists_a_few_names_not_all_of_them(tmp_path: Path):
    path = tmp_path / "wide.csv"
    names = [f"c{i}" for i in range(5000)]
    path.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    params = {
        "path": str(path),
        "feature_columns": "nope",
        "target_column": "c1",
        "task": "regression",
        "standardize": False,
    }
    with pytest.raises(DatasetError, match="'c19' and 4,980 more$"):
        make_dataset("csv", params, seed=0)


# --------------------------------------------------------------------------- bounded work
def huge_graph() -> Graph:
    return chain(
        ("Input", {"shape": (8192,)}),
        ("Linear", {"out_features": 65536}),
        ("Linear", {"out_features": 65536}),
        ("Output", {"loss": "mse"}),
    )


def test_shapes_and_parameter_counts_of_a_huge_model_allocate_nothing():
    tracemalloc.start()
    try:
        report = analyse(huge_graph())
        code = torch_code(code_plan(huge_graph(), report))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.ok
    assert report.total_params == 8192 * 65536 + 65536 + 65536 * 65536 + 65536
    assert "nn.Linear(8192, 65536)" in code and "nn.Linear(65536, 65536)" in code
    assert peak < 16 * 1024**2  # the weights would be 19 GB


def test_the_code_plan_writes_the_same_code_as_the_built_model():
    specs = {
        "digits-cnn": DataSpec((1, 8, 8), "classification", 10),
        "residual-mlp": DataSpec((2,), "classification", 3),
        "spiral-classifier": DataSpec((2,), "classification", 2),
    }
    for name, spec in specs.items():
        project = load_example(name)
        built = torch_code(compile_graph(project.graph, spec), "w.safetensors", name)
        planned = torch_code(
            code_plan(project.graph, analyse(project.graph, spec)), "w.safetensors", name
        )
        assert planned == built


def test_a_model_above_the_budget_needs_a_yes_and_the_budget_is_in_the_question():
    question = over_budget(analyse(huge_graph()))
    assert question is not None and f"{PARAMETER_BUDGET:,}" in question
    assert "4,831,969,280 parameters" in question
    assert over_budget(analyse(load_example("digits-cnn").graph)) is None


def test_cli_validate_of_a_huge_model_builds_nothing_and_train_asks_for_allow_large(
    tmp_path: Path, capsys
):
    path = tmp_path / "huge.ncproj"
    graph = chain(
        ("Input", {"shape": (2,)}),
        ("Linear", {"out_features": 65536}),
        ("Linear", {"out_features": 65536}),
        ("Linear", {"out_features": 2}),
        ("Output", {"loss": "cross_entropy"}),
    )
    save_project(Project(graph=graph, dataset_key="moons"), path)
    tracemalloc.start()
    try:
        assert cli_main(["validate", str(path)]) == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024**2
    assert "4,295,360,514 parameters" in capsys.readouterr().out.replace("total: ", "")
    assert cli_main(["train", str(path), "--epochs", "1"]) == 1
    assert f"above the budget of {PARAMETER_BUDGET:,}" in capsys.readouterr().err
