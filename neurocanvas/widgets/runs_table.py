"""The runs table: one row per training run, its settings and how it went; export as CSV.

Selecting a row emits ``run_selected(index)`` so the loss plot can highlight that run's curve.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from neurocanvas.core.training.runs import RunRecord, describe_changes, write_runs_csv
from neurocanvas.widgets.plots.style import run_color

__all__ = ["COLUMNS", "RunsTable"]

COLUMNS: tuple[str, ...] = (
    "run",
    "start",
    "optimizer",
    "lr",
    "momentum",
    "weight decay",
    "batch",
    "changes",
    "final train loss",
    "best train loss",
    "final val loss",
    "best val loss",
    "accuracy",
    "steps",
    "time (s)",
    "ended",
)


def _num(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}g}"


IDLE_STATUS = "Each run you train appears here."


class RunsTable(QWidget):
    """Rows of :class:`RunRecord`; the records themselves are :attr:`runs` (saved with projects)."""

    run_selected = Signal(object)  # int row, or None when nothing is selected

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsTable")
        self.runs: list[RunRecord] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("runsGrid")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("exportRunsButton")
        self.export_button.setToolTip("Save this table as a CSV file")
        self.export_button.clicked.connect(self._ask_export)
        self.export_button.setEnabled(False)
        self.status = QLabel(IDLE_STATUS)
        self.status.setObjectName("runsStatus")
        #: Where Export CSV starts; the window sets it to the project's own default folder.
        self.default_folder: Callable[[], Path] = Path.home
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

    # -- content ----------------------------------------------------------------------------
    def add_run(self, record: RunRecord) -> None:
        self.runs.append(record)
        self._add_row(len(self.runs) - 1, record)
        self.export_button.setEnabled(True)

    def set_runs(self, records: list[RunRecord]) -> None:
        """Show ``records`` (e.g. from an opened project) instead of the current rows."""
        self.runs = list(records)
        self.table.setRowCount(0)
        for i, record in enumerate(self.runs):
            self._add_row(i, record)
        self.export_button.setEnabled(bool(self.runs))
        self.status.setText(IDLE_STATUS)  # a message about the old rows no longer applies

    def _add_row(self, index: int, r: RunRecord) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        s = r.settings
        values = (
            f"#{r.number}",
            r.start,
            str(s.get("optimizer", "")),
            _num(s.get("lr")),
            _num(s.get("momentum")),
            _num(s.get("weight_decay")),
            str(s.get("batch_size", "")),
            describe_changes(r.changes) or "–",
            _num(r.final_train_loss),
            _num(r.best_train_loss),
            _num(r.final_val_loss),
            _num(r.best_val_loss),
            "–" if r.accuracy is None else f"{100 * r.accuracy:.1f} %",
            f"{r.steps:,}",
            f"{r.seconds:.1f}",
            r.ended,
        )
        for col, text in enumerate(values):
            item = QTableWidgetItem(text)
            if col not in (1, 2, 7, 15):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, col, item)
        swatch = self.table.item(row, 0)
        swatch.setForeground(QBrush(QColor(*run_color(index))))
        swatch.setToolTip("this run's colour in the loss plot")

    def cell(self, row: int, column: str) -> str:
        """The text shown in ``row`` under ``column`` (one of :data:`COLUMNS`)."""
        item = self.table.item(row, COLUMNS.index(column))
        return "" if item is None else item.text()

    # -- selection and export --------------------------------------------------------------
    def _on_selection(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        self.run_selected.emit(min(rows) if rows else None)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export runs as CSV", str(self.default_folder() / "runs.csv"), "CSV files (*.csv)"
        )
        if path:
            self.export_csv(path)

    def export_csv(self, path: Any) -> bool:
        """Write the table to ``path``; on failure say why in the status line (no traceback)."""
        try:
            write_runs_csv(self.runs, path)
        except OSError as exc:
            self.status.setText(f"Could not write {path}: {exc.strerror or exc}")
            return False
        self.status.setText(f"Saved {len(self.runs)} runs to {path}.")
        return True
