"""The "Compare rates" dialog: which learning rates to compare, and with which optimizer.

The defaults follow the tutorials' lesson (the seeds' learning-rate experiment on a curve fit
with Adam): on ``general-fit`` lr 0.01 and 0.1 fit, lr 1 misbehaves (a spike of ~1e3, then a
fit about 4x worse, measured 0.060 against 0.013) and lr 10 diverges. The optimizer starts as
the one the panel shows, so the comparison answers "what if my run had another rate?"; with
plain SGD this network already diverges at lr 1 (the loss is inf by step 5).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

DEFAULT_RATES: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)
MAX_RATES = 8  # one faded curve each: more is unreadable
MAX_LR = 100.0  # the learning-rate control's own upper end


def parse_rates(text: str) -> tuple[float, ...]:
    """``"0.01, 0.1 1"`` -> ``(0.01, 0.1, 1.0)``; raises ValueError naming the bad entry."""
    parts = [p for p in text.replace(";", ",").replace(",", " ").split() if p]
    if not parts:
        raise ValueError("type at least one learning rate, e.g. 0.01, 0.1, 1, 10")
    if len(parts) > MAX_RATES:
        raise ValueError(f"at most {MAX_RATES} rates (got {len(parts)})")
    rates = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a number") from None
        if not (math.isfinite(value) and 0 < value <= MAX_LR):
            raise ValueError(f"{part} is not a learning rate between 0 and {MAX_LR:g}")
        rates.append(value)
    return tuple(rates)


class CompareDialog(QDialog):
    """Asks for the rates and the optimizer; emits ``chosen(rates, optimizer)`` on OK.

    ``optimizers`` are (key, shown name) pairs; ``current`` is the key selected at first.
    """

    chosen = Signal(tuple, str)

    def __init__(
        self,
        optimizers: tuple[tuple[str, str], ...],
        current: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("compareDialog")
        self.setWindowTitle("Compare learning rates")
        self.rates_edit = QLineEdit(", ".join(f"{r:g}" for r in DEFAULT_RATES))
        self.rates_edit.setObjectName("compareRates")
        self.rates_edit.setToolTip("Learning rates, separated by commas or spaces")
        self.optimizer_combo = QComboBox()
        self.optimizer_combo.setObjectName("compareOptimizer")
        for key, name in optimizers:
            self.optimizer_combo.addItem(name, key)
        self.optimizer_combo.setCurrentIndex(max(self.optimizer_combo.findData(current), 0))
        self.error_label = QLabel()
        self.error_label.setObjectName("compareError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828")
        form = QFormLayout()
        form.addRow("Learning rates", self.rates_edit)
        form.addRow("Optimizer", self.optimizer_combo)
        note = QLabel(
            "Each rate trains the same initial weights, unthrottled; your own learning rate, "
            "optimizer and weights are put back afterwards."
        )
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.rates_edit.textEdited.connect(lambda _text: self.error_label.clear())

    def _accept(self) -> None:
        try:
            rates = parse_rates(self.rates_edit.text())
        except ValueError as exc:
            self.error_label.setText(f"Learning rates: {exc}.")
            return  # the dialog stays open with the text as typed
        self.accept()
        self.chosen.emit(rates, str(self.optimizer_combo.currentData()))
