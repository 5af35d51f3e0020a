"""The loop on its own: probe and hook calls in order, checked last steps, dropped lone batches,
restores to the best good checkpoint, and the divergence policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neurocanvas.core import manual_seed, nn
from neurocanvas.core.cli import main
from neurocanvas.core.datasets import make_dataset
from neurocanvas.core.io.examples import load_example
from neurocanvas.core.io.project import load_project, save_project
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.training import Trainer, TrainingConfig, TrainingControl, TrainingHook
from neurocanvas.core.training.metrics import forward_eval, loss_of
from neurocanvas.core.training.probes import Probe, StepContext
from neurocanvas.core.training.runs import RunRecord
from tests.core.test_trainer import mlp, regression_data

CASES = Path(__file__).resolve().parents[2] / "cases"  # the field cases (../shared/cases)


class Recorder(Probe):
    """Notes each call with what it could see of the model at that moment."""

    def __init__(self, name: str = "recorder", every: int = 1) -> None:
        self.name, self.every = name, every
        self.calls: list[tuple[str, int]] = []
        self.seen: dict[str, Any] = {}

    def wants(self, step: int) -> bool:
        self.calls.append(("wants", step))
        return step % self.every == 0

    def before_forward(self, ctx: StepContext) -> None:
        self.calls.append(("before_forward", ctx.step))
        self.seen["outputs_before"] = ctx.outputs
        self.seen["weight_before"] = ctx.model[0].weight.detach().numpy().copy()

    def after_backward(self, ctx: StepContext) -> None:
        self.calls.append(("after_backward", ctx.step))
        self.seen["grad"] = ctx.model[0].weight.grad
        self.seen["weight_after_backward"] = ctx.model[0].weight.detach().numpy().copy()

    def collect(self, ctx: StepContext) -> Any:
        self.calls.append(("collect", ctx.step))
        self.seen["loss"] = ctx.loss
        return {"step": ctx.step, "weight": ctx.model[0].weight.detach().numpy().copy()}


def test_probes_are_called_in_the_documented_order_around_one_step():
    probe = Recorder()
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(lr=0.1), probes=[probe])
    trainer.step()
    assert probe.calls == [
        ("wants", 1),
        ("before_forward", 1),
        ("after_backward", 1),
        ("collect", 1),
    ]
    assert probe.seen["outputs_before"] is None  # before the forward pass
    assert probe.seen["grad"] is not None  # gradients exist after backward...
    np.testing.assert_array_equal(  # ...and the optimizer has not moved the weights yet
        probe.seen["weight_after_backward"], probe.seen["weight_before"]
    )
    result = trainer.snapshot().probes["recorder"]
    assert result["step"] == 1 and not np.array_equal(result["weight"], probe.seen["weight_before"])
    assert probe.seen["loss"] == trainer.step_loss.view()[0]


def test_a_probe_that_does_not_want_a_step_is_only_asked():
    probe = Recorder(every=3)
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(), probes=[probe])
    for _ in range(3):
        trainer.step()
    assert [c for c in probe.calls if c[0] != "wants"] == [
        ("before_forward", 3),
        ("after_backward", 3),
        ("collect", 3),
    ]


def test_probes_added_and_removed_between_steps_take_part_from_the_next_step():
    trainer = Trainer(mlp(), regression_data(), TrainingConfig())
    trainer.step()
    probe = Recorder("late")
    trainer.add_probe(probe)
    assert probe.calls == []  # not in the middle of anything
    trainer.step()
    assert ("collect", 2) in probe.calls and "late" in trainer.snapshot().probes
    trainer.remove_probe("late")
    trainer.step()
    assert ("wants", 3) not in probe.calls and "late" not in trainer.snapshot().probes


def test_hooks_hear_every_step_and_every_epoch():
    class Count(TrainingHook):
        steps: list[int] = []
        epochs: list[int] = []

        def on_step_end(self, trainer: Trainer, loss: float) -> None:
            self.steps.append(trainer.global_step)

        def on_epoch_end(self, trainer: Trainer) -> None:
            self.epochs.append(trainer.epoch)

    hook = Count()
    Trainer(mlp(), regression_data(), TrainingConfig(epochs=2), hooks=[hook]).run()
    assert hook.steps == [1, 2, 3, 4, 5, 6] and hook.epochs == [1, 2]


def test_a_last_step_that_breaks_the_weights_never_ends_finished():
    class Poison(TrainingHook):
        def on_step_end(self, trainer: Trainer, loss: float) -> None:
            if trainer.global_step == trainer.total_steps:  # the very last step
                trainer.model[0].weight.array[...] = np.inf

    model = mlp()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    config = TrainingConfig(epochs=1, batch_size=80, lr=1e-9, optimizer="sgd")
    snap = Trainer(model, regression_data(), config, hooks=[Poison()]).run()
    assert snap.state == "diverged" and "step 0" in snap.message
    for k, v in model.state_dict().items():
        assert np.isfinite(v).all()
        np.testing.assert_allclose(v, before[k], atol=1e-6)  # back to the only good checkpoint


def load_case(path: Path, **config_changes: Any) -> tuple[Any, Any, TrainingConfig]:
    project, _ = load_project(path)
    data = make_dataset(project.dataset_key, project.dataset_params, seed=project.dataset_seed)
    manual_seed(project.config.seed)
    model = compile_graph(project.graph, data.data_spec())
    config = TrainingConfig(**{**project.config.to_dict(), **config_changes})
    return model, data, config


def test_batchnorm_with_a_last_batch_of_one_drops_it_and_trains_to_the_end():
    model, data, config = load_case(CASES / "batchnorm-last-batch" / "last-batch-of-one.ncproj")
    n, bs = len(data.x_train), config.batch_size
    assert n % bs == 1  # the case: 225 samples at batch 32
    trainer = Trainer(model, data, config)
    assert trainer.total_steps == config.epochs * (n // bs)
    snap = trainer.run()
    assert snap.state == "finished", snap.message
    assert snap.step == config.epochs * (n // bs)  # the lone sample was dropped every epoch
    assert trainer.samples_done == config.epochs * (n - 1)


def test_a_real_divergence_restores_weights_no_worse_than_the_best_checkpoint():
    model, data, config = load_case(CASES / "restore-good-weights" / "project.ncproj")
    trainer = Trainer(model, data, config)
    y_val = trainer.y_val

    def val_loss() -> float:
        return loss_of(trainer.loss_fn, forward_eval(model, data.x_val, Tensor), y_val)

    initial = val_loss()
    snap = trainer.run()
    assert snap.state == "diverged", snap.message
    best = trainer.guard.best()
    assert best is not None and snap.restored_step == best.step
    assert all(np.isfinite(v).all() for v in model.state_dict().values())
    assert trainer.checkpoint().loss == pytest.approx(best.loss)  # those very weights
    assert val_loss() <= initial + 1e-6  # never worse than the initial weights


def test_keep_going_lets_the_loss_grow_without_stopping():
    manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 1, bias=False))
    control = TrainingControl(divergence="continue")
    config = TrainingConfig(epochs=40, batch_size=80, optimizer="sgd", lr=3.6)
    trainer = Trainer(model, regression_data(), config, control)
    snap = trainer.run()
    assert snap.diverged_at is not None and snap.diverged_at < 40
    assert snap.step == 40 and snap.state == "finished"  # it went on to the end
    assert snap.step_loss[-1] > 100 * snap.step_loss[snap.diverged_at - 1]
    assert f"diverged from step {snap.diverged_at}" in snap.message


def test_the_pause_policy_restores_and_pauses_for_a_lower_learning_rate():
    control = TrainingControl(divergence="pause")
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(lr=1e6, optimizer="sgd"), control)
    for _ in range(30):
        trainer.step()
        if control.paused:
            break
    assert control.paused and trainer.state == "running"
    assert "Paused" in trainer.message and trainer.restored_step == 0
    assert all(np.isfinite(v).all() for v in trainer.model.state_dict().values())


def test_loaded_non_finite_weights_are_never_a_checkpoint_to_restore():
    trainer = Trainer(mlp(), regression_data(), TrainingConfig())
    broken = {k: np.full_like(v, np.nan) for k, v in trainer.weights().items()}
    trainer.load_state(broken)
    best = trainer.guard.best()
    assert best is not None and best.step == 0 and np.isfinite(best.state["0.weight"]).all()


def test_cli_training_next_to_converged_saved_weights_does_not_trip_the_guard(tmp_path, capsys):
    project = load_example("general-fit")
    data = make_dataset(project.dataset_key, project.dataset_params, seed=project.dataset_seed)
    manual_seed(project.config.seed)
    model = compile_graph(project.graph, data.data_spec())
    first = Trainer(model, data, project.config).run()
    assert first.state == "finished"
    path = tmp_path / "fit.ncproj"
    save_project(project, path, weights=model.state_dict())
    code = main(["train", str(path), "--json", "--quiet"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["state"] == "finished", result
    assert result["train_loss"] < 2 * first.train_loss[-1]  # it went on from the fit


def test_at_a_slow_pace_the_rate_and_time_left_follow_the_pace():
    control = TrainingControl(pace=2.0)
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(epochs=2, batch_size=16), control)
    for _ in range(3):
        trainer.step()
    snap = trainer.snapshot()
    assert snap.samples_per_s <= 2.0 * 16 + 1e-9  # never faster than 2 steps of 16 a second
    assert snap.eta_s >= (2 * 80 - 48) / (2.0 * 16) - 1e-9


def test_a_probe_that_raises_is_turned_off_and_reported_and_the_run_finishes():
    class Broken(Probe):
        name = "broken"

        def __init__(self) -> None:
            self.hooks: list[Any] = []

        def wants(self, step: int) -> bool:
            return True

        def before_forward(self, ctx: StepContext) -> None:
            layer = next(m for m in ctx.model.modules() if isinstance(m, nn.Linear))
            self.hooks.append(layer.register_forward_hook(lambda *a: None))

        def after_backward(self, ctx: StepContext) -> None:
            if ctx.step == 3:
                raise ValueError("bad histogram range")

        def reset(self) -> None:
            for handle in self.hooks:
                handle.remove()
            self.hooks.clear()

    broken, healthy = Broken(), Recorder()
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(epochs=3), probes=[broken, healthy])
    final = trainer.run()
    assert final.state == "finished" and final.step == trainer.total_steps
    assert len(final.probe_errors) == 1
    line = final.probe_errors[0]
    assert "broken" in line and "step 3" in line and "bad histogram range" in line
    assert "broken" not in final.probes and broken.hooks == []  # its hooks are gone too
    assert ("collect", trainer.total_steps) in healthy.calls  # the other views went on


@pytest.mark.skipif(not (CASES / "restore-good-weights").is_dir(), reason="shared cases absent")
def test_after_a_divergence_the_final_numbers_describe_the_weights_kept(capsys):
    model, data, config = load_case(CASES / "restore-good-weights" / "project.ncproj")
    trainer = Trainer(model, data, config)
    snap = trainer.run()
    assert snap.state == "diverged" and snap.kept is not None
    kept_val = loss_of(trainer.loss_fn, forward_eval(model, data.x_val, Tensor), trainer.y_val)
    assert snap.kept["val_loss"] == pytest.approx(kept_val)
    record = RunRecord.from_snapshot(1, "initial weights", dict(snap.settings), snap)
    assert record.final_val_loss == pytest.approx(kept_val)
    assert record.best_train_loss <= snap.kept["train_loss"]  # never the blown-up loss
    assert record.final_train_loss == pytest.approx(snap.kept["train_loss"])

    main(["train", str(CASES / "restore-good-weights" / "project.ncproj"), "--json", "--quiet"])
    result = json.loads(capsys.readouterr().out)
    assert result["val_loss"] == pytest.approx(kept_val, rel=1e-6)  # same seed, same weights
    assert result["weights_from_step"] == snap.kept["step"] and "train_accuracy" not in result
    per_epoch = result["steps_per_epoch"]
    # the step that found the divergence counts but did not train, so when it is an epoch's
    # last step that epoch is not complete
    assert result["epochs"] * per_epoch <= result["steps"] <= (result["epochs"] + 1) * per_epoch


def test_a_paced_runs_time_is_the_time_it_took_not_the_computing_alone():
    control = TrainingControl(pace=20.0)
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(epochs=1, batch_size=16), control)
    final = trainer.run()
    assert final.step == 5 and final.elapsed_s >= 4 / 20.0  # 5 steps at 20 a second
    record = RunRecord.from_snapshot(1, "initial weights", dict(final.settings), final)
    assert record.seconds == pytest.approx(final.elapsed_s)


def test_constructing_a_trainer_runs_no_forward_pass_the_first_step_keeps_the_initial_weights():
    # The app builds the Trainer in its GUI thread: any forward pass there freezes the window.
    model = mlp()
    calls = []
    model.register_forward_hook(lambda *_: calls.append(1))
    initial = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
    trainer = Trainer(model, regression_data(), TrainingConfig(epochs=1))
    assert calls == [] and trainer.guard.best() is None
    trainer.step()
    best = trainer.guard.best()
    assert calls and best is not None and best.step == 0
    for name, value in initial.items():
        np.testing.assert_array_equal(best.state[name], value)
