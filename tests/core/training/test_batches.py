"""Batches on their own: every sample once per epoch, live batch sizes, the lone last sample."""

from __future__ import annotations

import numpy as np

from neurocanvas.core.training.batches import EpochBatches


def test_an_epoch_hands_out_every_sample_once_in_a_new_order_each_time():
    batches = EpochBatches(10, seed=0)
    first = np.concatenate([batches.next(4) for _ in range(3)])
    assert batches.epoch_done and sorted(first.tolist()) == list(range(10))
    batches.new_epoch()
    second = np.concatenate([batches.next(4) for _ in range(3)])
    assert sorted(second.tolist()) == list(range(10)) and not np.array_equal(first, second)


def test_a_lone_last_sample_is_dropped_only_when_asked():
    kept = EpochBatches(9, seed=0)
    assert [len(kept.next(4)) for _ in range(3)] == [4, 4, 1]
    dropped = EpochBatches(9, seed=0, drop_lone=True)
    assert [len(dropped.next(4)) for _ in range(2)] == [4, 4] and dropped.epoch_done
    assert dropped.steps_for(9, 4) == 2 and kept.steps_for(9, 4) == 3


def test_steps_left_follow_a_batch_size_changed_mid_epoch():
    batches = EpochBatches(80, seed=0)
    batches.next(8)
    assert batches.steps_left(epochs_left=2, batch_size=5) == 15 + 16  # 72 left, then 80
