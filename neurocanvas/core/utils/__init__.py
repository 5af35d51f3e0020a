"""``torch.utils``: data loading (``utils.data``)."""

from neurocanvas.core.utils import data

__all__ = ["data"]
