"""The problems list and the PyTorch code tab: what the window shows after every edit.

A mixin of :class:`~neurocanvas.app.main_window.MainWindow`: the graph is analysed against
the data set (``core.network.shapes.analyse``) and the result goes to the canvas (red nodes,
shapes on wires), the problems list, the inspector's summary and the status bar; the code tab
is regenerated once typing pauses.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem, QStyle

from neurocanvas.app.project_files import safe_stem
from neurocanvas.core.io.export import ExportError
from neurocanvas.core.io.export.code_plan import code_plan
from neurocanvas.core.io.export.torch_code import torch_code
from neurocanvas.core.network.fitting import unadapted_reasons
from neurocanvas.core.network.shapes import analyse
from neurocanvas.widgets.inspector import format_count


class ValidationMixin:
    """Validation and generated code of the main window (mixed into ``MainWindow``)."""

    def validate(self) -> Any:
        """Analyse the graph against the data set; feed the canvas, problems and status bar."""
        self._validate_timer.stop()
        doc = self.document
        report = analyse(doc.graph, doc.data_spec())
        self.report = report
        self.canvas.set_report(report)
        self.problems.clear()
        reasons = {} if doc.dataset is None else unadapted_reasons(doc.graph, doc.dataset, report)
        for problem in report.problems:
            text = problem.message
            if problem.node_id in reasons:  # say why the app did not fix it itself
                text = f"{text}. {reasons.pop(problem.node_id)}"
            item = QListWidgetItem(
                self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning), text
            )
            item.setData(Qt.ItemDataRole.UserRole, problem.node_id)
            item.setData(Qt.ItemDataRole.UserRole + 1, problem.fix)
            item.setToolTip(text)
            self.problems.addItem(item)
        if doc.dataset is None and doc.dataset_error:
            self.problems.addItem(f"Data set: {doc.dataset_error}")
        if self.problems.count() == 0:
            ok = QListWidgetItem(
                self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton),
                "No problems: the network is ready to train.",
            )
            ok.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.problems.addItem(ok)
        self._offer_fix(next((p for p in report.problems if p.fix == "remove"), None))
        self.inspector.set_report(report)
        n = len(report.problems)
        self.problems_dock.setWindowTitle(f"Problems ({n})" if n else "Problems")
        self.params_label.setText(
            f"{format_count(report.total_params)} parameters · "
            f"{format_count(report.total_macs)} multiply-adds per sample"
        )
        outputs = [nd for nd in doc.graph.nodes.values() if nd.type == "Output"]
        if outputs:
            self.training_panel.set_loss_name(str(outputs[0].params.get("loss", "")))
        return report

    def _offer_fix(self, problem: Any) -> None:
        node = None if problem is None else self.document.graph.nodes.get(problem.node_id)
        self._fix_node = None if node is None else node.id
        if node is not None:
            self.problem_fix.setText(f"Remove {node.type} '{node.name}'")
            self.problem_fix.setToolTip(problem.message)
        self.problem_fix.setVisible(node is not None)

    def apply_problem_fix(self) -> None:
        """Remove the node the offered fix names, wiring around it (one undo step)."""
        if self._fix_node is not None:
            self.document.editor.remove_bridging(self._fix_node)
            self.validate()

    def _on_problem_clicked(self, item: QListWidgetItem) -> None:
        fix = item.data(Qt.ItemDataRole.UserRole + 1)
        if fix == "remove":
            self._offer_fix(
                next(
                    (
                        p
                        for p in self.report.problems
                        if p.node_id == item.data(Qt.ItemDataRole.UserRole)
                    ),
                    None,
                )
            )
        node_id = item.data(Qt.ItemDataRole.UserRole)
        if node_id and node_id in self.document.graph.nodes:
            self.canvas.select_nodes([node_id])
            node_item = self.canvas.node_items.get(node_id)
            if node_item is not None:
                self.canvas.centerOn(node_item)

    def refresh_code(self) -> str:
        """Regenerate the PyTorch code tab, or say why there is none."""
        self._code_timer.stop()
        doc = self.document
        if doc.dataset is None:
            code = f"# No code yet: the data set cannot be built.\n# {doc.dataset_error}\n"
        else:
            title = safe_stem(doc.path.stem if doc.path else doc.name)
            # from the shapes alone: building the model would allocate every weight
            report = analyse(doc.graph, doc.dataset.data_spec())
            try:
                if report.ok:
                    code = torch_code(code_plan(doc.graph, report), None, title)
                else:
                    lines = "\n".join(f"#   - {p.message}" for p in report.problems)
                    code = f"# No code yet: the network is not valid.\n#\n{lines}\n"
            except ExportError as exc:
                code = f"# This network cannot be written as PyTorch code: {exc}\n"
        self.code_view.set_code(code)
        return code
