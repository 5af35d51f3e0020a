"""The training worker: the core trainer runs in a QThread and reports by signals."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from neurocanvas.app.worker import TrainingThread, TrainingWorker, describe_error
from neurocanvas.core import manual_seed, nn
from neurocanvas.core.datasets import make_dataset
from neurocanvas.core.training import Trainer, TrainingConfig, TrainingControl


def tiny_trainer(epochs: int = 3, **config) -> tuple[Trainer, TrainingControl]:
    manual_seed(0)
    ds = make_dataset("linear", {"n_samples": 64}, seed=0)
    control = TrainingControl()
    cfg = TrainingConfig(epochs=epochs, batch_size=16, optimizer="sgd", lr=0.05, **config)
    trainer = Trainer(nn.Linear(1, 1), ds, cfg, control, snapshot_every_s=0.0)
    return trainer, control


def test_worker_runs_trainer_in_its_own_thread_and_emits_snapshots(qtbot):
    trainer, control = tiny_trainer()
    seen_threads: list[int] = []
    original = trainer.step

    def step():
        seen_threads.append(threading.get_ident())
        return original()

    trainer.step = step
    job = TrainingThread(trainer, control)
    snapshots = []
    job.snapshot.connect(snapshots.append)
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        job.start()
    final = blocker.args[0]
    assert job.stop()
    assert not job.is_running()
    assert final.state == "finished"
    assert final.step == 3 * 4  # 64 samples * 0.8 train / 16 per batch = 4 steps per epoch
    assert len(final.train_loss) == 3
    assert snapshots and snapshots[-1].step == final.step
    assert set(seen_threads) and threading.get_ident() not in seen_threads


def test_exception_in_trainer_becomes_failed_signal_with_message(qtbot):
    trainer, control = tiny_trainer()

    def broken_step():
        raise RuntimeError("Linear 'linear1' got a tensor of the wrong shape")

    trainer.step = broken_step
    job = TrainingThread(trainer, control)
    finished = []
    job.finished.connect(finished.append)
    with qtbot.waitSignal(job.failed, timeout=10_000) as blocker:
        job.start()
    message = blocker.args[0]
    assert "RuntimeError" in message and "wrong shape" in message
    assert "broken_step" in message  # names where it happened
    assert job.stop()
    assert finished == []
    assert isinstance(job.worker.error, RuntimeError)


def test_stopping_a_running_worker_joins_the_thread(qtbot):
    trainer, control = tiny_trainer(epochs=100_000)
    job = TrainingThread(trainer, control)
    with qtbot.waitSignal(job.snapshot, timeout=10_000):
        job.start()
    qtbot.waitUntil(lambda: trainer.global_step > 5, timeout=30_000)
    assert job.is_running()
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        assert job.stop(timeout_ms=5_000)
    assert not job.is_running()
    assert blocker.args[0].state == "stopped"
    assert 0 < blocker.args[0].step < 100_000 * 4


def test_stopping_a_paused_worker_wakes_and_joins_it(qtbot):
    trainer, control = tiny_trainer(epochs=100_000)
    control.pause()
    job = TrainingThread(trainer, control)
    with qtbot.waitSignal(job.snapshot, timeout=10_000):
        job.start()
    assert job.stop(timeout_ms=5_000)
    assert trainer.global_step == 0


def test_live_lr_written_from_gui_thread_reaches_the_trainer(qtbot):
    trainer, control = tiny_trainer(epochs=100_000)
    job = TrainingThread(trainer, control)
    with qtbot.waitSignal(job.snapshot, timeout=10_000):
        job.start()
    qtbot.waitUntil(lambda: trainer.global_step > 5, timeout=30_000)
    control.set(lr=0.01)
    qtbot.waitUntil(lambda: trainer.optimizer.param_groups[0]["lr"] == 0.01, timeout=30_000)
    assert job.stop()
    assert trainer.lr_changes[-1][1] == 0.01 and trainer.lr_changes[-1][0] > 0


def test_worker_without_thread_reports_the_same_way(qtbot):
    class Exploding:
        def run(self, callback=None):
            callback("snap")
            raise ValueError("")

    worker = TrainingWorker(Exploding())
    got = []
    worker.snapshot.connect(got.append)
    with qtbot.waitSignal(worker.failed) as blocker:
        worker.run()
    assert got == ["snap"]
    assert blocker.args[0].startswith("Training failed: ValueError: ValueError")


def test_describe_error_is_one_readable_line():
    try:
        np.zeros(2).reshape(3)
    except ValueError as exc:
        text = describe_error(exc)
    assert text.startswith("Training failed: ValueError: ")
    assert "\n" not in text


@pytest.fixture(autouse=True)
def _no_leftover_threads():
    before = threading.active_count()
    yield
    assert threading.active_count() <= before


def test_while_training_runs_garbage_is_collected_in_the_gui_thread_only(qtbot):
    """Qt objects in garbage must never be destroyed by the training thread's collections."""
    import gc
    import weakref

    class Cycle:
        pass

    trainer, control = tiny_trainer(epochs=100_000)
    collected_in: list[int] = []

    def note_thread(phase, info):
        if phase == "start":
            collected_in.append(threading.get_ident())

    assert gc.isenabled()
    job = TrainingThread(trainer, control)
    gc.callbacks.append(note_thread)
    try:
        job.start()
        qtbot.waitUntil(lambda: trainer.global_step > 20, timeout=10_000)
        assert not gc.isenabled()  # no automatic collection, in any thread, while it runs
        cycle = Cycle()
        cycle.me = cycle
        alive = weakref.ref(cycle)
        del cycle
        for _ in range(2000):  # enough allocations to pass the first generation's threshold
            junk = Cycle()
            junk.me = junk
        del junk
        qtbot.waitUntil(lambda: alive() is None, timeout=30_000)  # the GUI-thread timer did it
    finally:
        assert job.stop()
        gc.callbacks.remove(note_thread)
    assert collected_in and set(collected_in) == {threading.get_ident()}
    qtbot.waitUntil(gc.isenabled, timeout=30_000)  # automatic collection is back
