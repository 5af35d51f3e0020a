"""Live training plots: loss, accuracy and the model's fit (one class per module).

The plots never see engine tensors: they read plain numpy ``Snapshot`` objects (see
``neurocanvas.core.training.snapshot``). Snapshots can arrive far faster than a screen can
redraw, so :class:`LatestSnapshot` coalesces them and hands out only the newest one on a ~30 ms
timer; every plot then updates its curves with ``setData`` on preallocated buffers (pyqtgraph's
``scrollingPlots`` example), which keeps a redraw cheap however long the run gets. The buffers
are Qt-free (:mod:`.buffers`).
"""

from neurocanvas.widgets.plots.accuracy_plot import AccuracyPlot
from neurocanvas.widgets.plots.buffers import EnvelopeDecimator, GrowingBuffer, MeanDecimator
from neurocanvas.widgets.plots.coalescer import LatestSnapshot
from neurocanvas.widgets.plots.fit_plot import FitPlot, decision_image
from neurocanvas.widgets.plots.loss_plot import LossAxis, LossPlot
from neurocanvas.widgets.plots.style import (
    CLASS_COLORS,
    MARKER_COLOR,
    PRED_COLOR,
    TRAIN_COLOR,
    VAL_COLOR,
    apply_palette,
)

__all__ = [
    "CLASS_COLORS",
    "MARKER_COLOR",
    "PRED_COLOR",
    "TRAIN_COLOR",
    "VAL_COLOR",
    "AccuracyPlot",
    "EnvelopeDecimator",
    "MeanDecimator",
    "FitPlot",
    "GrowingBuffer",
    "LatestSnapshot",
    "LossAxis",
    "LossPlot",
    "apply_palette",
    "decision_image",
]
