"""What a layer has learnt: its parameters, shown the way their size reads best.

Small tensors as numbers (a y = 2x + 1 fit reads "weight = 2.00", "bias = 1.00"); larger
matrices as a heat map (blue negative, red positive, white zero, scaled to the largest
magnitude); a Conv2d's filters as a row of small images. Pixels are drawn from numpy into a
``QImage`` directly: one label per tensor, no plot machinery for a picture that changes a few
times a second.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

__all__ = ["MAX_NUMBERS", "ParameterView", "diverging_rgb", "filter_mosaic"]

MAX_NUMBERS = 16  # tensors with at most this many values are shown as numbers
MAX_FILTERS = 32
PIXELS = 180  # the width of a heat map, in screen pixels
# Its height follows the tensor's shape within these bounds: a 64 x 1 weight would otherwise
# be 11,520 px tall and push the rest of the inspector off screen; a bias row stays visible.
MIN_HEIGHT, MAX_HEIGHT = 8, 72


def format_number(v: float) -> str:
    return f"{v:.2f}" if 0.01 <= abs(v) < 1000 or v == 0 else f"{v:.3g}"


def diverging_rgb(values: np.ndarray) -> np.ndarray:
    """(H, W) values -> (H, W, 3) uint8: blue < 0 < red, white at 0, by the largest magnitude."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64))
    scale = float(np.abs(v).max()) or 1.0
    t = np.clip(v / scale, -1.0, 1.0)[..., None]
    white = np.array([255.0, 255.0, 255.0])
    red, blue = np.array([213.0, 94.0, 0.0]), np.array([0.0, 114.0, 178.0])
    rgb = np.where(t >= 0, white + t * (red - white), white - t * (blue - white))
    return rgb.astype(np.uint8)


def filter_mosaic(weight: np.ndarray, limit: int = MAX_FILTERS) -> np.ndarray:
    """Conv2d weights (out, in, kh, kw) -> one (kh, n*(kw+1)-1) row of filters (mean over in)."""
    w = np.asarray(weight, dtype=np.float64)[:limit].mean(axis=1)
    n, kh, kw = w.shape
    out = np.zeros((kh, n * (kw + 1) - 1))
    for i in range(n):
        out[:, i * (kw + 1) : i * (kw + 1) + kw] = w[i]
    return out


def _pixmap(rgb: np.ndarray, width: int) -> QPixmap:
    rgb = np.ascontiguousarray(rgb)
    h, w, _ = rgb.shape
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    height = min(max(int(round(width * h / w)), MIN_HEIGHT), MAX_HEIGHT)
    return QPixmap.fromImage(image).scaled(
        width,
        height,
        Qt.AspectRatioMode.IgnoreAspectRatio,
        Qt.TransformationMode.FastTransformation,
    )


class ParameterView(QWidget):
    """The parameters of one layer (``set_node``) from a weights dict (``show_weights``).

    ``node_changed(name or None)`` asks the application for that layer's weights.
    """

    node_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("parameterView")
        self.node: str | None = None
        self.heading = QLabel("Learnt parameters")
        self.heading.setObjectName("parameterHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.body = QLabel("")
        self.body.setObjectName("parameterValues")
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._images: list[QLabel] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 6, 0, 0)
        self._layout.addWidget(self.heading)
        self._layout.addWidget(self.body)
        self.shown: dict[str, str] = {}  # parameter -> "numbers" / "heat map" / "filters"
        self.hide()

    def set_node(self, name: str | None) -> None:
        """Show the layer called ``name`` (None: nothing selected)."""
        self.node = name
        self.setVisible(False)
        self.node_changed.emit(name)

    def show_weights(self, weights: dict[str, np.ndarray] | None) -> None:
        """Draw the selected layer's entries of ``weights`` (state_dict keys ``name.param``)."""
        for label in self._images:
            self._layout.removeWidget(label)
            label.deleteLater()
        self._images.clear()
        self.shown = {}
        if self.node is None or not weights:
            self.hide()
            return
        prefix = f"{self.node}."
        mine = {k[len(prefix) :]: np.asarray(v) for k, v in weights.items() if k.startswith(prefix)}
        mine = {k: v for k, v in mine.items() if v.dtype.kind == "f" and "running" not in k}
        if not mine:
            self.hide()
            return
        lines = []
        for key, value in mine.items():
            if value.size <= MAX_NUMBERS:
                numbers = ", ".join(format_number(float(x)) for x in value.ravel())
                lines.append(f"{key} = {numbers}" if value.size == 1 else f"{key} = [{numbers}]")
                self.shown[key] = "numbers"
                continue
            shape = "×".join(str(d) for d in value.shape)
            low, high = float(np.nanmin(value)), float(np.nanmax(value))
            if value.ndim == 4:
                picture, kind = filter_mosaic(value), "filters"
                note = f"{key} {shape}: first {min(len(value), MAX_FILTERS)} filters"
            else:
                picture, kind = (
                    value.reshape(value.shape[0], -1) if value.ndim > 1 else value[None],
                    "heat map",
                )
                note = f"{key} {shape}"
            lines.append(f"{note} (from {format_number(low)} to {format_number(high)})")
            self.shown[key] = kind
            image = QLabel()
            image.setObjectName(f"parameterImage_{key}")
            image.setToolTip(f"{note}: blue negative, white 0, red positive")
            image.setPixmap(_pixmap(diverging_rgb(picture), PIXELS))
            self._layout.addWidget(image)
            self._images.append(image)
        self.body.setText("\n".join(lines))
        self.show()

    def text(self) -> str:
        """The numbers and captions shown (for tests and screen readers)."""
        return self.body.text()

    def images(self) -> list[Any]:
        return [label.pixmap() for label in self._images]
