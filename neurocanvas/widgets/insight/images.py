"""Arrays to QImages with a colour map, for previews, trace cards and heat maps."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage

from neurocanvas.widgets.insight.arrays import channel_grid, to_unit

# viridis for values (perceptually uniform, colour-blind safe); blue-white-red for gradients
# and changes, where the sign matters and 0 must read as "nothing".
VALUE_LUT = pg.colormap.get("viridis").getLookupTable(nPts=256, alpha=False)
SIGNED_LUT = pg.ColorMap(
    [0.0, 0.5, 1.0], [(33, 102, 172), (247, 247, 247), (178, 24, 43)]
).getLookupTable(nPts=256, alpha=False)


def unit_to_rgba(unit: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] to (H, W, 4) uint8 colours; NaN becomes transparent."""
    unit = np.atleast_2d(unit)
    rgba = np.zeros((*unit.shape, 4), np.uint8)
    idx = np.clip((np.nan_to_num(unit) * 255).round(), 0, 255).astype(np.int64)
    rgba[..., :3] = lut[idx][..., :3]
    rgba[..., 3] = np.where(np.isfinite(unit), 255, 0)
    return rgba


def unit_to_qimage(unit: np.ndarray, lut: np.ndarray) -> QImage:
    """A (H, W) image of values in [0, 1] (NaN: transparent) as a QImage."""
    rgba = unit_to_rgba(unit, lut)
    h, w = rgba.shape[:2]
    # QImage.Format_RGBA8888 reads bytes in R, G, B, A order on every platform
    image = QImage(rgba.tobytes(), w, h, 4 * w, QImage.Format.Format_RGBA8888)
    return image.copy()  # own the pixels: the bytes object goes away


def array_rgba(arr: np.ndarray, signed: bool = False) -> np.ndarray:
    """An output (vector, map or channels) as (H, W, 4) colours; ``signed`` for gradients."""
    return unit_to_rgba(
        to_unit(channel_grid(arr), symmetric=signed), SIGNED_LUT if signed else VALUE_LUT
    )


def array_qimage(arr: np.ndarray, signed: bool = False) -> QImage:
    """An output (vector, map or channels) as a picture; ``signed`` for gradients/changes."""
    return unit_to_qimage(
        to_unit(channel_grid(arr), symmetric=signed), SIGNED_LUT if signed else VALUE_LUT
    )
