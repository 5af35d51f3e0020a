"""``DataLoader``: batches of a dataset, collated like PyTorch's ``default_collate``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from neurocanvas.core._creation import stack, tensor
from neurocanvas.core.autograd import TensorBase
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)

__all__ = ["DataLoader", "default_collate"]


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch: tensors and arrays along a new first dimension,
    numbers into a tensor (floats float64 as in PyTorch, ints int64), tuples and dicts field by
    field."""
    first = batch[0]
    if isinstance(first, TensorBase):
        return stack(batch)  # type: ignore[arg-type]
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(batch))
    if isinstance(first, (bool, np.bool_)):
        return tensor(list(batch))
    if isinstance(first, (int, np.integer)):
        return tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(first, (float, np.floating)):
        return tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, Mapping):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(first, Sequence):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(
        "default_collate: batch must contain tensors, numbers, dicts or lists; found "
        f"{type(first).__name__}"
    )


class DataLoader:
    """Iterate over ``dataset`` in batches.

    ``batch_size`` (None: single samples), ``shuffle`` (a new order each epoch) or a
    ``sampler``/``batch_sampler``, ``drop_last``, ``collate_fn`` as in PyTorch.
    ``num_workers``, ``pin_memory`` and similar are accepted and ignored (loading is in-thread).
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        generator: Any = None,
        **_ignored: Any,
    ) -> None:
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (
            batch_size != 1 or shuffle or sampler is not None or drop_last
        ):
            raise ValueError(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                "and drop_last"
            )
        self.dataset = dataset
        self.batch_size = None if batch_sampler is not None else batch_size
        self.drop_last = drop_last
        self.num_workers = num_workers
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        self.sampler: Sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self.collate_fn = (
            collate_fn
            if collate_fn is not None
            else (default_collate if batch_sampler is not None else _identity)
        )

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:
            for idx in self.sampler:
                yield self.collate_fn(self.dataset[idx])
            return
        for indices in self.batch_sampler:
            yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self) -> int:
        if self.batch_sampler is None:
            return len(self.sampler)
        return len(self.batch_sampler)


def _identity(sample: Any) -> Any:
    return sample
