"""Fuzzers over project, data and weight files, on a fixed seed and count (CI runs the same).

Each damaged file must be refused with its format's one error type (nothing else escapes,
nothing is inflated before its header is checked) or be accepted and usable afterwards. The
failure classes they found are named regression tests in ``test_hostile_files.py``.
"""

from __future__ import annotations

import random
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from neurocanvas.core import manual_seed
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.network.shapes import DataSpec

from .fuzz_inputs import (
    check_csv_file,
    check_idx_files,
    check_project_file,
    check_weight_import,
    csv_mutants,
    idx_mutants,
    project_mutants,
    weight_mutants,
)

SEED = 20261129


def report(failures: Counter[str]) -> str:
    return "; ".join(f"{n} x {what}" for what, n in failures.most_common())


def test_damaged_project_files_are_refused_with_project_error_or_open_usable(tmp_path: Path):
    failures: Counter[str] = Counter()
    path = tmp_path / "fuzz.ncproj"
    tried = 0
    for kind, data in project_mutants(random.Random(SEED), 600):
        path.write_bytes(data)
        problem = check_project_file(path, kind)
        tried += 1
        if problem:
            failures[f"{problem} ({kind})"] += 1
    assert tried == 600
    assert not failures, report(failures)


def test_damaged_idx_files_are_refused_before_inflating_them(tmp_path: Path):
    failures: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for kind, _, images, labels in idx_mutants(random.Random(SEED), 120):
        kinds[kind] += 1
        tracemalloc.start()
        try:
            problem = check_idx_files(tmp_path, images, labels)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        if problem:
            failures[f"{problem} ({kind})"] += 1
        elif peak > 64 * 1024**2:  # the bomb claims 3.9 GB; a refusal reads its header only
            failures[f"{peak / 1024**2:.0f} MB allocated ({kind})"] += 1
    assert kinds["bomb"] > 0 and kinds["dims"] > 0
    assert not failures, report(failures)


def test_damaged_csv_files_are_refused_with_dataset_error_or_load(tmp_path: Path):
    failures: Counter[str] = Counter()
    for kind, data, params in csv_mutants(random.Random(SEED), 300):
        problem = check_csv_file(tmp_path / "data.csv", data, params)
        if problem:
            failures[f"{problem} ({kind})"] += 1
    assert not failures, report(failures)


@pytest.fixture
def small_model():
    graph = Graph()
    nodes = [
        graph.add_node("Input", params={"shape": (3,)}),
        graph.add_node("Linear", params={"out_features": 4}),
        graph.add_node("BatchNorm"),
        graph.add_node("Linear", params={"out_features": 2}),
        graph.add_node("Output", params={"loss": "mse"}),
    ]
    for a, b in zip(nodes, nodes[1:]):
        graph.connect(a.id, "out", b.id, "in")
    manual_seed(0)
    return compile_graph(graph, DataSpec((3,), "regression", 2))


def test_damaged_weight_files_are_refused_whole_or_load_finite(tmp_path: Path, small_model):
    failures: Counter[str] = Counter()
    reference = small_model.state_dict()
    tried = 0
    for i, (kind, suffix, raw) in enumerate(weight_mutants(random.Random(SEED), reference, 200)):
        path = tmp_path / f"w{i}{suffix}"
        path.write_bytes(raw)
        tracemalloc.start()
        try:
            problem = check_weight_import(small_model, path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        tried += 1
        if problem:
            failures[f"{problem} ({kind})"] += 1
        elif peak > 256 * 1024**2:
            failures[f"{peak / 1024**2:.0f} MB allocated ({kind})"] += 1
        path.unlink()
    assert tried == 201
    after = small_model.state_dict()  # every refusal left it alone, every load was undone
    assert all(np.array_equal(after[k], reference[k]) for k in reference)
    assert not failures, report(failures)
