"""``torch.utils.data``: datasets, samplers and the DataLoader, with PyTorch's names.

Loading runs in the calling thread (``num_workers`` is accepted and ignored): the arrays of
the data sets this engine trains on fit in memory, and worker processes would cost more than
they save.
"""

from neurocanvas.core.utils.data.dataloader import DataLoader, default_collate
from neurocanvas.core.utils.data.dataset import (
    ConcatDataset,
    Dataset,
    Subset,
    TensorDataset,
    random_split,
)
from neurocanvas.core.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "default_collate",
    "random_split",
]
