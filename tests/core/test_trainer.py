"""The training loop: determinism, live control from another thread, snapshots, divergence."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from neurocanvas.core import is_grad_enabled, manual_seed, nn, optim
from neurocanvas.core.training import Snapshot, Trainer, TrainingConfig, TrainingControl


def regression_data(n: int = 100, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 1)).astype(np.float32)
    y = (np.sin(3 * x) + 0.05 * rng.standard_normal((n, 1))).astype(np.float32)
    k = int(0.8 * n)
    return SimpleNamespace(
        name="toy-sine",
        kind="regression",
        x_train=x[:k],
        y_train=y[:k],
        x_val=x[k:],
        y_val=y[k:],
        input_shape=(1,),
        n_outputs=1,
        class_names=None,
        true_fn=None,
        x_range=(-1.0, 1.0),
    )


def blob_data(n: int = 120, k: int = 3, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    centres = np.array([[np.cos(2 * np.pi * c / k), np.sin(2 * np.pi * c / k)] for c in range(k)])
    x = (2 * centres[y] + 0.3 * rng.standard_normal((n, 2))).astype(np.float32)
    cut = int(0.75 * n)
    return SimpleNamespace(
        name="toy-blobs",
        kind="classification",
        x_train=x[:cut],
        y_train=y[:cut].astype(np.int64),
        x_val=x[cut:],
        y_val=y[cut:].astype(np.int64),
        input_shape=(2,),
        n_outputs=k,
        class_names=[str(c) for c in range(k)],
        true_fn=None,
        x_range=(-3.0, 3.0),
    )


def image_data(n: int = 60, k: int = 3, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    x = rng.standard_normal((n, 1, 4, 4)).astype(np.float32) * 0.1
    x[np.arange(n), 0, y, y] += 1.0  # class c lights pixel (c, c)
    cut = 45
    return SimpleNamespace(
        name="toy-images",
        kind="classification",
        x_train=x[:cut],
        y_train=y[:cut].astype(np.int64),
        x_val=x[cut:],
        y_val=y[cut:].astype(np.int64),
        input_shape=(1, 4, 4),
        n_outputs=k,
        class_names=None,
        true_fn=None,
        x_range=None,
    )


def mlp(n_in: int = 1, n_out: int = 1, seed: int = 0) -> nn.Module:
    manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, 16), nn.Tanh(), nn.Linear(16, n_out))


def test_same_seed_gives_identical_losses_and_another_seed_does_not():
    def losses(seed: int) -> np.ndarray:
        trainer = Trainer(
            mlp(seed=seed), regression_data(), TrainingConfig(epochs=3, lr=0.01, seed=seed)
        )
        return trainer.run().step_loss

    a, b, c = losses(0), losses(0), losses(1)
    assert len(a) == 3 * 3  # 80 samples, batch 32 -> 3 batches per epoch
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_run_records_per_epoch_metrics_and_loss_falls():
    snap = Trainer(mlp(), regression_data(), TrainingConfig(epochs=40, lr=0.02)).run()
    assert snap.state == "finished"
    assert snap.epoch == 40 and len(snap.train_loss) == 40 and len(snap.val_loss) == 40
    assert snap.val_loss[-1] < 0.5 * snap.val_loss[0]
    assert snap.train_acc is None and snap.val_acc is None
    assert snap.samples_per_s > 0 and snap.eta_s == 0.0
    assert snap.step == snap.total_steps == 40 * 3


def test_live_lr_change_reaches_the_optimizer_at_the_next_step_and_is_recorded():
    control = TrainingControl()
    config = TrainingConfig(epochs=5, optimizer="sgd", lr=0.01, momentum=0.0)
    trainer = Trainer(mlp(), regression_data(), config, control)
    for _ in range(4):
        trainer.step()
    control.set(lr=0.25)
    assert trainer.optimizer.param_groups[0]["lr"] == 0.01  # only between steps
    weight = trainer.model[0].weight
    before = weight.array.copy()
    trainer.step()
    assert all(g["lr"] == 0.25 for g in trainer.optimizer.param_groups)
    # plain SGD: the update that step made is exactly lr * grad with the new lr
    np.testing.assert_allclose(
        before - weight.array, 0.25 * weight.grad.array, rtol=1e-4, atol=1e-7
    )
    assert trainer.lr_changes == [(0, 0.01), (4, 0.25)]
    assert control.snapshot_settings()["lr"] == 0.25


def test_momentum_and_weight_decay_changes_are_written_into_param_groups():
    control = TrainingControl()
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(optimizer="sgd"), control)
    control.set(momentum=0.5, weight_decay=1e-3)
    trainer.step()
    group = trainer.optimizer.param_groups[0]
    assert group["momentum"] == 0.5 and group["weight_decay"] == 1e-3


def test_batch_size_change_takes_effect_at_the_next_batch():
    control = TrainingControl()
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(batch_size=8), control)
    trainer.step()
    assert trainer.samples_done == 8
    control.set(batch_size=5)
    trainer.step()
    assert trainer.samples_done == 13
    # 80 samples: after 13 the rest of the epoch is ceil(67 / 5) = 14 steps at the new size
    assert trainer.snapshot().total_steps == 2 + 14 + 99 * 16


def test_optimizer_switch_rebuilds_the_optimizer_and_keeps_the_weights():
    control = TrainingControl()
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(optimizer="adam", lr=0.01), control)
    trainer.step()
    weights = {k: v.copy() for k, v in trainer.model.state_dict().items()}
    old = trainer.optimizer
    control.set(optimizer="sgd", lr=0.0001)
    trainer.apply_changes()  # as the loop does before a step
    assert isinstance(trainer.optimizer, optim.SGD) and trainer.optimizer is not old
    assert trainer.optimizer.param_groups[0]["lr"] == 0.0001
    for k, v in trainer.model.state_dict().items():
        np.testing.assert_array_equal(v, weights[k])
    trainer.step()  # and it trains on with the new one
    assert trainer.global_step == 2


def test_control_rejects_bad_settings_naming_them():
    control = TrainingControl()
    with pytest.raises(ValueError, match="lr must be"):
        control.set(lr=-1)
    with pytest.raises(ValueError, match="batch_size"):
        control.set(batch_size=0)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        control.set(optimizer="lbfgs")
    with pytest.raises(ValueError, match="unknown training setting 'epochs'"):
        control.set(epochs=3)
    with pytest.raises(ValueError, match="momentum"):
        TrainingConfig(momentum=1.5).validate()


def test_pause_step_once_resume_and_stop_from_another_thread():
    control = TrainingControl()
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(epochs=100_000), control, 0.01)
    snaps: list[Snapshot] = []
    paused = threading.Event()

    def on_snapshot(s: Snapshot) -> None:
        snaps.append(s)
        if s.state == "paused":
            paused.set()

    worker = threading.Thread(target=trainer.run, args=(on_snapshot,))
    worker.start()
    try:
        while trainer.global_step < 5:
            time.sleep(0.005)
        control.pause()
        assert paused.wait(5)
        frozen = trainer.global_step
        time.sleep(0.1)
        assert trainer.global_step == frozen  # blocked on the condition, not stepping

        paused.clear()
        control.step_once()
        deadline = time.time() + 5
        while trainer.global_step == frozen and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(0.1)
        assert trainer.global_step == frozen + 1  # exactly one step, then paused again
        assert paused.wait(5) and snaps[-1].step == frozen + 1

        control.resume()
        deadline = time.time() + 5
        while trainer.global_step < frozen + 20 and time.time() < deadline:
            time.sleep(0.005)
        assert trainer.global_step >= frozen + 20
        control.stop()
        worker.join(5)
        assert not worker.is_alive()
    finally:
        control.stop()
        worker.join(5)
    assert snaps[-1].state == "stopped" and "Stopped at step" in snaps[-1].message
    assert {"running", "paused", "stopped"} <= {s.state for s in snaps}


def test_stop_while_paused_wakes_the_trainer():
    control = TrainingControl()
    control.pause()
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(epochs=10), control)
    worker = threading.Thread(target=trainer.run)
    worker.start()
    time.sleep(0.05)
    control.stop()
    worker.join(5)
    assert not worker.is_alive() and trainer.state == "stopped" and trainer.global_step == 0


def test_divergence_stops_with_a_reason_and_restores_finite_weights():
    data = regression_data()
    data.y_train = data.y_train * 100
    config = TrainingConfig(epochs=50, optimizer="sgd", lr=5.0, momentum=0.9)
    trainer = Trainer(mlp(), data, config)
    snap = trainer.run()
    assert snap.state == "diverged"
    assert "diverged at step" in snap.message and "lr 5" in snap.message
    assert snap.step < 50 * 3
    assert all(np.isfinite(p.array).all() for p in trainer.model.parameters())


def test_divergence_restores_the_last_checkpoint():
    data = regression_data()
    control = TrainingControl()
    trainer = Trainer(mlp(), data, TrainingConfig(epochs=50, lr=0.01), control)
    for _ in range(3 * 4):  # four epochs: the checkpoint is the weights at an epoch end
        trainer.step()
    good = {k: v.copy() for k, v in trainer.model.state_dict().items()}
    control.set(lr=1e6, optimizer="sgd")
    while trainer.state == "running":
        trainer.step()
    assert trainer.state == "diverged" and "lr 1e+06" in trainer.message
    for k, v in trainer.model.state_dict().items():
        assert np.isfinite(v).all()
        np.testing.assert_array_equal(v, good[k])


def test_regression_snapshot_has_a_200_point_fit_over_x_range():
    snap = Trainer(mlp(), regression_data(), TrainingConfig(epochs=1)).run()
    assert snap.fit["x"].shape == (200,) and snap.fit["y"].shape == (200,)
    assert snap.fit["x"][0] == -1.0 and snap.fit["x"][-1] == 1.0
    assert snap.confusion is None


def test_2d_classification_snapshot_has_a_probability_grid_and_confusion():
    data = blob_data()
    snap = Trainer(mlp(2, 3), data, TrainingConfig(epochs=30, lr=0.03)).run()
    probs = snap.fit["probs"]
    assert probs.shape == (80, 80, 3) and snap.fit["xx"].shape == (80, 80)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-6)
    assert snap.confusion.shape == (3, 3) and snap.confusion.sum() == len(data.y_val)
    assert len(snap.val_acc) == 30 and snap.val_acc[-1] > 0.9
    assert snap.val_acc[-1] == pytest.approx(np.trace(snap.confusion) / len(data.y_val))


def test_image_classification_snapshot_has_confusion_and_sample_predictions():
    data = image_data()
    manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    snap = Trainer(model, data, TrainingConfig(epochs=5, lr=0.05)).run()
    assert snap.fit is None
    assert snap.confusion.shape == (3, 3) and snap.confusion.sum() == 15
    assert snap.samples["images"].shape == (8, 1, 4, 4)
    assert snap.samples["pred"].shape == (8,) and snap.samples["true"].tolist() == [0, 1, 2] * 2 + [
        0,
        1,
    ]


class _Spy(nn.Module):
    """Records the mode it was called in, to see that evaluation uses eval() and no_grad."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Linear(1, 1)
        self.calls: list[tuple[bool, bool, int]] = []

    def forward(self, x):
        self.calls.append((self.training, is_grad_enabled(), x.shape[0]))
        return self.inner(x)


def test_evaluation_runs_in_eval_mode_without_grad_and_training_does_not():
    spy = _Spy()
    Trainer(spy, regression_data(), TrainingConfig(epochs=1, batch_size=80)).run(lambda s: None)
    train_calls = [c for c in spy.calls if c[1]]  # with grad: the training step only
    eval_calls = [c for c in spy.calls if not c[1]]  # validation, fit grid, checkpoint losses
    assert train_calls == [(True, True, 80)]
    assert {c[2] for c in eval_calls} == {20, 200, 80}
    assert eval_calls and all(not training and not grad for training, grad, _ in eval_calls)
    assert spy.training  # back in training mode afterwards


def test_snapshots_are_rate_limited():
    calls: list[str] = []
    config = TrainingConfig(epochs=20)
    Trainer(mlp(), regression_data(), config, snapshot_every_s=1e9).run(
        lambda s: calls.append(s.state)
    )
    assert calls == ["running", "finished"]


def test_swap_model_trains_the_new_model_with_a_fresh_optimizer():
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(epochs=5, lr=0.01))
    trainer.step()
    new = mlp(seed=5)
    before = {k: v.copy() for k, v in new.state_dict().items()}
    trainer.swap_model(new)
    assert trainer.optimizer.param_groups[0]["params"][0] is new[0].weight
    trainer.step()
    assert trainer.global_step == 2
    assert not np.array_equal(new.state_dict()["0.weight"], before["0.weight"])
    weights = trainer.weights()
    weights["0.weight"][...] = 0  # a copy: changing it leaves the model alone
    assert np.abs(new.state_dict()["0.weight"]).sum() > 0


def test_snapshot_series_are_frozen_read_only_views_of_the_run_so_far():
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(epochs=300, batch_size=16))
    for _ in range(4):
        trainer.step()
    snap = trainer.snapshot()
    before = np.asarray(snap.step_loss)
    with pytest.raises(TypeError):
        snap.step_loss[0] = 0.0  # the GUI cannot write into the trainer's history
    for _ in range(4100):  # past the record's first chunk (4096 values)
        trainer.step()
    assert len(trainer.step_loss) == 4104
    np.testing.assert_array_equal(snap.step_loss, before)  # later steps do not show in it
    assert len(trainer.snapshot().step_loss) == trainer.global_step


def test_a_running_snapshot_skips_the_fit_when_not_wanted_but_a_settled_one_never_does():
    control = TrainingControl(fit_on_demand=True)
    trainer = Trainer(mlp(), regression_data(), TrainingConfig(epochs=1, batch_size=16), control)
    assert trainer.snapshot("running").fit is not None  # the first one is always wanted
    trainer.step()
    assert trainer.snapshot("running").fit is None  # the GUI has not shown the last one yet
    assert trainer.snapshot("paused").fit is not None  # a pause may last: show where it is
    control.fit_shown()
    assert trainer.snapshot("running").fit is not None
    assert trainer.snapshot("running").fit is None
    assert trainer.run().fit is not None  # the final snapshot


def test_control_fast_path_still_sees_every_pause_change_and_stop():
    control = TrainingControl()
    assert control.wait_for_step() and not control.paused
    control.set(lr=0.5)
    assert control.take_changes() == {"lr": 0.5} and control.take_changes() == {}
    control.step_once()
    assert control.wait_for_step()  # the granted step
    assert control.paused  # and paused after it
    control.resume()
    assert not control.paused and control.wait_for_step()
    control.stop()
    assert not control.wait_for_step()
