"""Step through one batch: the five lines of the training loop, one at a time.

The panel asks for a trace of the next real training step (``trace_requested``), then lets
the learner walk its stages; the canvas shows each node's part of the chosen stage (see
:mod:`.trace_overlay`). Stage texts are the tutorials' code lines with one sentence each.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from neurocanvas.core.training.probes.trace import STAGES

STAGE_CODE = {
    "zero_grad": "optimizer.zero_grad()",
    "forward": "out = model(x)",
    "loss": "loss = loss_fn(out, y)",
    "backward": "loss.backward()",
    "step": "optimizer.step()",
}


def stage_text(stage: str, trace: dict[str, Any]) -> str:
    """One plain sentence on what ``stage`` did in this traced step."""
    if stage == "zero_grad":
        stale = trace.get("stale_grad_norm")
        was = "there were none yet" if stale is None else f"their size was {stale:.3g}"
        return (
            "Clears the gradients left from the previous step (backward adds to .grad, so they "
            f"would pile up); {was}. Nodes with weights show it."
        )
    if stage == "forward":
        return (
            f"The batch flows left to right; each node shows its output for sample "
            f"#{trace['sample']} of the batch (numbers for small layers, pictures for large)."
        )
    if stage == "loss":
        return f"The loss compares the output with the target: {trace['loss']:.4g} for this batch."
    if stage == "backward":
        return (
            "Gradients flow right to left: each node shows d loss / d its output for the same "
            "sample (blue negative, red positive); weights get their .grad."
        )
    return (
        "The optimizer moves every weight against its gradient; nodes with weights show the "
        "change (blue down, red up)."
    )


class StepperPanel(QWidget):
    """Trace button, sample chooser, stage buttons and the stage's explanation.

    Signals
    -------
    trace_requested(int)
        Trace the next training step, showing this row of the batch.
    stage_changed(str)
        One of ``core.training.probes.trace.STAGES`` (or "" when nothing is traced).
    """

    trace_requested = Signal(int)
    stage_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepperPanel")
        self.trace: dict[str, Any] | None = None
        self.stage = ""
        self.trace_button = QPushButton("Step through one batch")
        self.trace_button.setObjectName("traceBatch")
        self.trace_button.setToolTip(
            "Take one training step and show each stage of it on the canvas"
        )
        self.trace_button.clicked.connect(self._request)
        self.sample_spin = QSpinBox(self)
        self.sample_spin.setObjectName("traceSample")
        self.sample_spin.setRange(0, 4095)
        self.sample_spin.setToolTip("Which sample of the batch the canvas shows")
        top = QHBoxLayout()
        top.addWidget(self.trace_button)
        top.addWidget(QLabel("sample in batch"))
        top.addWidget(self.sample_spin)
        top.addStretch(1)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        row = QHBoxLayout()
        self.stage_buttons: dict[str, QPushButton] = {}
        for i, stage in enumerate(STAGES):
            # The stage's name on the button (the code, ~170 px, was cut off at 1366x768);
            # the code itself in the tooltip and in the explanation below.
            b = QPushButton(f"{i + 1}. {stage}")
            b.setToolTip(STAGE_CODE[stage])
            b.setObjectName(f"stage_{stage}")
            b.setCheckable(True)
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, s=stage: self.set_stage(s))
            self.group.addButton(b)
            self.stage_buttons[stage] = b
            row.addWidget(b)
        self.prev_button = QPushButton("◀")
        self.next_button = QPushButton("▶")
        self.prev_button.setObjectName("stagePrev")
        self.next_button.setObjectName("stageNext")
        self.prev_button.clicked.connect(lambda: self._move(-1))
        self.next_button.clicked.connect(lambda: self._move(1))
        row.addWidget(self.prev_button)
        row.addWidget(self.next_button)
        self.explain = QLabel("Press “Step through one batch” to take one step and follow it.")
        self.explain.setObjectName("stageText")
        self.explain.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addLayout(row)
        layout.addWidget(self.explain)
        layout.addStretch(1)
        self._enable()

    def _request(self) -> None:
        self.explain.setText("Taking one training step…")
        self.trace_requested.emit(self.sample_spin.value())

    def _enable(self) -> None:
        on = self.trace is not None
        for b in self.stage_buttons.values():
            b.setEnabled(on)
        self.prev_button.setEnabled(on and self.stage != STAGES[0])
        self.next_button.setEnabled(on and self.stage != STAGES[-1])

    def show_trace(self, trace: dict[str, Any] | None) -> None:
        """A new trace arrived (or None: forget it); starts at the zero_grad stage."""
        if trace is self.trace:
            return
        self.trace = trace
        self.set_stage(STAGES[0] if trace is not None else "")

    def set_stage(self, stage: str) -> None:
        self.stage = stage
        if stage:
            self.stage_buttons[stage].setChecked(True)
            assert self.trace is not None
            self.explain.setText(
                f"<b>Step {self.trace['step']}, <code>{STAGE_CODE[stage]}</code></b>: "
                + stage_text(stage, self.trace)
            )
        self._enable()
        self.stage_changed.emit(stage)

    def _move(self, delta: int) -> None:
        if not self.stage:
            return
        i = min(max(STAGES.index(self.stage) + delta, 0), len(STAGES) - 1)
        self.set_stage(STAGES[i])
