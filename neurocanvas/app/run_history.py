"""The runs of the open project: numbered, coloured, labelled with their settings, tabled.

The training controller tells it when a run begins, what each frame showed and how the run
ended; it keeps the loss plot's legend, the fit plot's earlier fits and the runs table in step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject

from neurocanvas.core.training.runs import RunRecord
from neurocanvas.widgets.plots.style import run_color
from neurocanvas.widgets.runs_table import RunsTable


class RunHistory(QObject):
    """Numbers runs, labels them ("#2 lr 0.01, adam (lr 0.01 → 0.1 at step 300)"), records them."""

    def __init__(self, loss_plot: Any, fit_plot: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loss_plot, self.fit_plot = loss_plot, fit_plot
        self.table = RunsTable()
        self.table.run_selected.connect(self._highlight)
        self.current: RunRecord | None = None
        self._shown_changes = 0
        self._suffix = ""  # " (continued from #N)" while a Continue extends run N

    @property
    def runs(self) -> list[RunRecord]:
        return self.table.runs

    def begin(self, start: str, settings: dict[str, Any], linked: bool = False) -> RunRecord:
        """A new run starts: earlier fit faded, a new colour and legend entry.

        ``linked``: the run goes on counting from the last one (Continue), so its curve
        extends the last one's, in the same colour, relabelled; no earlier fit is kept.
        """
        previous = self.runs[-1] if self.runs else None
        if previous is not None and not linked:
            self.fit_plot.keep_fit_as_earlier(previous.label(), run_color(len(self.runs) - 1))
        record = RunRecord(number=len(self.runs) + 1, start=start, settings=dict(settings))
        self.current = record
        self._shown_changes = 0
        self._suffix = ""
        if linked:
            number = previous.number if previous is not None else record.number - 1
            self._suffix = f" (continued from #{number})"
            self.loss_plot.set_run_label(record.label() + self._suffix)
        else:
            self.loss_plot.begin_run(record.label())
        return record

    def show(self, snap: Any) -> None:
        """Relabel the run when a live setting changed during it."""
        record = self.current
        if record is None or len(snap.changes) == self._shown_changes:
            return
        self._shown_changes = len(snap.changes)
        record.changes = list(snap.changes)
        self.loss_plot.set_run_label(record.label() + self._suffix)

    def finish(self, final: Any) -> RunRecord | None:
        """The run ended with ``final``: its row goes into the table."""
        record = self.current
        if record is None:
            return None
        done = RunRecord.from_snapshot(record.number, record.start, record.settings, final)
        self.current = None
        self.loss_plot.set_run_label(done.label() + self._suffix)
        self.table.add_run(done)
        return done

    def restore(self, records: list[RunRecord]) -> None:
        """Show the runs saved with a project: their numbers in the table, their saved
        (decimated) loss curves as earlier runs in the loss plot."""
        self.current = None
        self.table.set_runs(records)
        for record in records:
            if record.curve:
                steps, losses = zip(*record.curve, strict=True)
                self.loss_plot.add_saved_run(np.array(steps), np.array(losses), record.label())

    def clear(self) -> None:
        self.current = None
        self.table.set_runs([])
        self.fit_plot.clear_earlier_fits()

    def _highlight(self, row: Any) -> None:
        self.loss_plot.highlight_run(row)
