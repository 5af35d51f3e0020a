"""The learning-rate range test: the schedule, the suggestion, and weights put back."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from neurocanvas.core import manual_seed
from neurocanvas.core.cli import main
from neurocanvas.core.datasets import make_dataset
from neurocanvas.core.io.examples import load_example
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.training import Trainer
from neurocanvas.core.training.lr_finder import LRFinder, lr_find, suggest_lr


def example(name: str):
    project = load_example(name)
    ds = make_dataset(project.dataset_key, project.dataset_params, seed=project.dataset_seed)
    manual_seed(0)
    return project, ds, compile_graph(project.graph, ds.data_spec())


def test_general_fit_suggestion_lies_between_1e3_and_1e1_and_weights_come_back() -> None:
    project, ds, model = example("general-fit")
    before = {k: v.copy() for k, v in model.state_dict().items()}
    result = lr_find(model, ds, project.config)
    assert 1e-3 <= result.suggestion <= 1e-1
    assert result.lrs[0] == pytest.approx(1e-6)
    assert result.state == "diverged"  # it ran until the loss blew up, as it should
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert all(p.grad is None for p in model.parameters())


def test_the_suggested_lr_trains_better_than_a_tiny_one() -> None:
    project, ds, model = example("general-fit")
    suggestion = lr_find(model, ds, project.config).suggestion
    losses = {}
    for lr in (suggestion, 1e-5):
        _, ds, model = example("general-fit")
        config = project.config.__class__(**{**project.config.to_dict(), "lr": lr, "epochs": 5})
        losses[lr] = Trainer(model, ds, config).run().train_loss[-1]
    assert losses[suggestion] < 0.5 * losses[1e-5]


def test_lr_grows_exponentially_from_start_to_end() -> None:
    _, ds, model = example("linear-regression")
    finder = LRFinder(model, ds, start_lr=1e-6, end_lr=10.0, num_iter=101)
    assert finder.lr_at(0) == pytest.approx(1e-6)
    assert finder.lr_at(50) == pytest.approx(math.sqrt(1e-6 * 10))
    assert finder.lr_at(100) == pytest.approx(10.0)


def test_suggestion_is_the_steepest_point_before_the_minimum() -> None:
    lrs = np.logspace(-6, 1, 141)
    logs = np.log10(lrs)
    # a loss that falls fastest at 1e-2 (a tanh step), bottoms out at 10^-0.5, then explodes
    losses = 1 - np.tanh(2 * (logs + 2)) + np.where(logs > -0.5, 50 * (logs + 0.5) ** 2, 0)
    assert suggest_lr(lrs, losses) == pytest.approx(1e-2, rel=0.1)
    assert suggest_lr(lrs, np.linspace(1, 2, 141)) is None  # never falls


def test_stopping_ends_the_test_and_still_restores_the_weights() -> None:
    project, ds, model = example("general-fit")
    before = {k: v.copy() for k, v in model.state_dict().items()}
    finder = LRFinder(model, ds, project.config, num_iter=200)
    seen = []

    def on_progress(partial) -> None:
        seen.append(partial.steps)
        finder.stop()

    result = finder.run(on_progress)
    assert result.state == "stopped" and result.steps == 10 and seen == [10, 10]
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({"start_lr": 1.0, "end_lr": 0.1}, "0 < start < end"), ({"num_iter": 2}, "at least 5")],
)
def test_bad_ranges_are_refused_in_words(kwargs, words) -> None:
    _, ds, model = example("linear-regression")
    with pytest.raises(ValueError, match=words):
        LRFinder(model, ds, **kwargs)


def test_cli_lr_find_prints_the_suggestion_as_json(capsys) -> None:
    code = main(["lr-find", "general-fit", "--json", "--steps", "150"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert 1e-3 <= out["suggestion"] <= 1e-1
    assert len(out["lrs"]) == len(out["losses"]) == out["steps"] <= 150


def test_cli_lr_find_reports_a_bad_range_in_one_line(capsys) -> None:
    code = main(["lr-find", "general-fit", "--start", "5", "--end", "1"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().count("\n") == 0 and "0 < start < end" in err
