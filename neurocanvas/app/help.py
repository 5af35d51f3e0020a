"""Help inside the app: the short guide (Help > NeuroCanvas Guide) and the About box.

The guide is one page of rich text in a dialog a person can keep open next to the window: what
each plot means, how to compare learning rates, the keyboard shortcuts, and how to export and
where the files go. Per-layer help is the catalogue's own text ("What's This?" on a node and
on a palette entry), so it can never disagree with the inspector.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from neurocanvas import __version__

GUIDE_SIZE = (640, 560)
TIP_WIDTH = 72  # characters per tooltip line
PLOT_TIPS = {
    "loss": "Loss: how wrong the model is (log axis). Faint: every step; thick: training and "
    "validation loss per epoch. Validation rising while training falls means memorising. "
    "Dashed lines mark learning-rate changes; faded curves are earlier runs.",
    "accuracy": "Accuracy: the share of samples classified right per epoch, on the training "
    "and the validation data.",
    "fit": "Fit: what the model has learnt. A curve: data, true function (dashed) and "
    "prediction. Two inputs: decision regions under the points. Images: confusion matrix "
    "(rows: true class, columns: predicted) and sample predictions.",
}
# Qt never wraps a plain-text tooltip: unwrapped, the fit tip was one 1,330 px line.
PLOT_TIPS = {key: textwrap.fill(text, TIP_WIDTH) for key, text in PLOT_TIPS.items()}
STATE_LABELS = {
    "idle": "Ready",
    "running": "Training…",
    "paused": "Paused",
    "finished": "Finished",
    "stopped": "Stopped",
    "diverged": "Diverged",
    "failed": "Failed",
}


def guide_html(autosave_folder: Path) -> str:
    """The guide's text; ``autosave_folder`` is shown so people can find their autosaves."""
    return f"""
<h2>NeuroCanvas in five minutes</h2>
<p>Drag layers from <b>Layers</b> onto the canvas (or double-click empty canvas and type a
name), wire an output port to an input port, and press <b>Train</b> (F5). A wire dropped on an
input that already has one replaces it. Right-click a node or the canvas for more.</p>

<h3>The plots</h3>
<ul>
<li><b>Loss</b>: how wrong the model is, on a log axis: the faint line is every step, the
thick lines the training and validation (held-out data) loss per epoch. When validation rises
while training still falls, the model is memorising the training data. A dashed vertical line
marks a learning-rate change; faded curves are earlier runs.</li>
<li><b>Accuracy</b> (classifiers): the share of samples classified right per epoch, on the
training and the validation data.</li>
<li><b>Fit</b>: what the model has learnt. For a curve: the data (dots), the true function
(dashed) and the model's prediction; for two inputs: the decision regions under the points;
for images: the confusion matrix (rows: true class, columns: predicted) and sample
predictions.</li>
</ul>

<h3>Comparing learning rates</h3>
<p>Train once, note the loss curve, then move the <b>Learning rate</b> slider and train
again: the earlier run stays as a faded curve, so the two can be compared on the same axes.
The slider also acts on a running training (a marker shows where it changed). Too high a rate
makes the loss jump or diverge (training stops and the last good weights are kept); too low
a rate makes it fall slowly. Try factors of 3 (0.001, 0.003, 0.01, ...).
<b>Train &gt; Compare Rates</b> trains 0.01, 0.1, 1 and 10 from the same initial weights, one
colour each: on <i>general-fit</i> 0.01 fits, 1 misbehaves (the loss spikes, then settles on a
worse fit; a spike that settles within 50 steps does not stop the run) and 10 diverges.
<b>View &gt; Clear Earlier Runs</b> starts a clean comparison.</p>

<h3>Keyboard shortcuts</h3>
<table cellpadding="2">
<tr><td>F5 / Shift+F5</td><td>Train / Stop</td></tr>
<tr><td>F6 / F10</td><td>Pause or resume / one step</td></tr>
<tr><td>Ctrl+Z / Ctrl+Shift+Z</td><td>Undo / Redo</td></tr>
<tr><td>Ctrl+C / Ctrl+V / Ctrl+D</td><td>Copy / Paste (at the pointer) / Duplicate</td></tr>
<tr><td>Delete</td><td>Delete the selected nodes or wires</td></tr>
<tr><td>Ctrl+L / F</td><td>Tidy layout / Fit the graph in view</td></tr>
<tr><td>Ctrl+0, Ctrl++ / Ctrl+-</td><td>Actual size, zoom in / out (or the mouse wheel)</td></tr>
<tr><td>Space + drag, middle drag</td><td>Pan the canvas</td></tr>
<tr><td>Shift+F1</td><td>What's This? (then click a layer or a plot)</td></tr>
</table>

<h3>Export, and where files go</h3>
<p><b>File &gt; Save</b> writes the project (<code>.ncproj</code>) and its trained weights next
to it. <b>File &gt; Export</b> writes the trained model as safetensors, NumPy (npz), ONNX
(for ONNX Runtime and other tools) or PyTorch code (a <code>.py</code> with the model class and a
weights file beside it); exports go where you choose, next to the project by default.
<b>File &gt; Import Weights</b> loads weights back.</p>
<p>The open project is saved every few minutes and at the end of each training run to
<code>{autosave_folder}</code>; after a crash, the next start offers to recover it.</p>
"""


class GuideDialog(QDialog):
    """The guide in a non-modal window (objectName ``guideDialog``)."""

    def __init__(self, autosave_folder: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setWindowTitle("NeuroCanvas Guide")
        self.setModal(False)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("guideText")
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(guide_html(autosave_folder))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(*GUIDE_SIZE)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)


def about_html() -> str:
    return (
        f"<h3>NeuroCanvas {__version__}</h3>"
        "<p>Build neural networks by drag-and-drop and watch them learn.</p>"
        "<p>Training runs on NeuroCanvas's own NumPy engine, which follows PyTorch's API; "
        "File ▸ Export writes safetensors, NumPy, ONNX or PyTorch code.</p>"
    )
