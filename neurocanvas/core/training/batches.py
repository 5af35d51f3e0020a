"""Which samples each step trains on: a shuffled order per epoch, cut into batches.

Like PyTorch's ``DataLoader(shuffle=True)``, with one difference that matters to BatchNorm:
when a model normalises over the batch, a last batch of a single sample is dropped (as
``drop_last`` would), since a batch of one has no variance to normalise by.
"""

from __future__ import annotations

import math

import numpy as np


class EpochBatches:
    """Batch indices over ``n`` samples; the order is reshuffled at every epoch from ``seed``.

    The batch size may change between any two steps (it is a live setting).
    """

    def __init__(self, n: int, seed: int, drop_lone: bool = False) -> None:
        if n <= 0:
            raise ValueError("there are no training samples to make batches of")
        self.n = n
        self.drop_lone = drop_lone
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(n)
        self.cursor = 0  # samples of this epoch already handed out (or dropped)

    def next(self, batch_size: int) -> np.ndarray:
        """The next batch's sample indices (shape (B,), B <= batch_size)."""
        idx = self._order[self.cursor : self.cursor + batch_size]
        self.cursor += len(idx)
        if self.drop_lone and self.n - self.cursor == 1:
            self.cursor = self.n  # the lone last sample is dropped
        return idx

    @property
    def epoch_done(self) -> bool:
        return self.cursor >= self.n

    def new_epoch(self) -> None:
        self._order = self._rng.permutation(self.n)
        self.cursor = 0

    def steps_for(self, n: int, batch_size: int) -> int:
        """Steps that ``n`` samples make at ``batch_size`` (a dropped lone sample makes none)."""
        steps = math.ceil(n / batch_size)
        return steps - 1 if self.drop_lone and n > 1 and n % batch_size == 1 else steps

    def steps_left(self, epochs_left: int, batch_size: int) -> int:
        """Steps until ``epochs_left`` more epochs end, counting the one under way."""
        if self.cursor:
            in_epoch = self.steps_for(self.n - self.cursor, batch_size)
            return in_epoch + max(epochs_left - 1, 0) * self.steps_for(self.n, batch_size)
        return epochs_left * self.steps_for(self.n, batch_size)
