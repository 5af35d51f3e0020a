"""The inspector: the selected node's name and one editor per parameter, from the catalogue.

The editors come from ``param_editors`` (one class per parameter kind, shared with the data
set panel). An edit is validated by the parameter's ``ParamSpec.validate`` before anything
happens: a refused value is explained under the form and its editor outlined; a valid change
goes to the editor as one undo step. The inspector follows graph events (undo, redo, other
views) and writes editors with ``set_value``, which never announces an edit, so a refresh
never turns into a new one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from neurocanvas.core.network.catalogue import is_valid_name
from neurocanvas.core.network.graph import Graph, GraphEvent
from neurocanvas.core.network.shapes import GraphReport
from neurocanvas.widgets.editing import GraphEditing
from neurocanvas.widgets.param_editors import ParamEditor, editor_for
from neurocanvas.widgets.parameter_view import ParameterView


def format_count(n: int) -> str:
    """1234 -> '1,234'; 12_345_678 -> '12.3 M': short enough for a narrow side panel."""
    if n >= 10_000_000_000:
        return f"{n / 1e9:.1f} G"
    if n >= 10_000_000:
        return f"{n / 1e6:.1f} M"
    return f"{n:,}"


#: What the summary's Status says for each training state when the graph has no problems.
TRAINING_STATES = {
    "idle": "ready to train",
    "running": "training",
    "paused": "training paused",
    "finished": "trained; Train again to go on",
    "stopped": "training stopped",
    "diverged": "diverged: reset the weights or lower the learning rate",
    "failed": "training failed (see the training panel)",
}


class NetworkSummary(QWidget):
    """What the inspector shows with nothing selected: the network's size, layer by layer.

    An empty inspector is the largest blank area of the window; the totals and a per-layer
    table (as ``torchinfo`` prints them) make it useful, and the hint says how to edit.
    """

    COLUMNS = ("Layer", "Output", "Parameters")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("networkSummary")
        self.heading = QLabel(self)
        self.heading.setObjectName("summaryHeading")
        self.params_value = QLabel(self)
        self.params_value.setObjectName("summaryParams")
        self.macs_value = QLabel(self)
        self.macs_value.setObjectName("summaryMacs")
        self.state_value = QLabel(self)
        self.training_state = "idle"  # the training controller's state (see TRAINING_STATES)
        self.state_value.setObjectName("summaryState")
        self.state_value.setWordWrap(True)
        totals = QFormLayout()
        totals.setContentsMargins(0, 0, 0, 0)
        totals.addRow("Parameters", self.params_value)
        totals.addRow("Multiply-adds", self.macs_value)
        totals.addRow("Status", self.state_value)
        self.table = QTreeWidget(self)
        self.table.setObjectName("summaryTable")
        self.table.setHeaderLabels(list(self.COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.hint = QLabel("Click a node on the canvas to edit its parameters.", self)
        self.hint.setObjectName("summaryHint")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(totals)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)

    def show_report(self, graph: Graph, report: GraphReport | None) -> None:
        """Fill in the totals and one row per node, left to right as on the canvas."""
        self.table.clear()
        self.heading.setText(f"Network · {len(graph.nodes)} nodes")
        if report is None:  # not analysed yet (the window analyses after every edit)
            for label in (self.params_value, self.macs_value, self.state_value):
                label.setText("–")
            return
        problems = len(report.problems)  # warnings included: they deserve a look
        self.params_value.setText(format_count(report.total_params))
        self.macs_value.setText(f"{format_count(report.total_macs)} per sample")
        self.state_value.setText(
            f"{problems} problem{'s' if problems != 1 else ''}, see Problems"
            if problems
            else TRAINING_STATES.get(self.training_state, "ready to train")
        )
        for node in sorted(graph.nodes.values(), key=lambda n: (n.pos[0], n.pos[1])):
            info = report.nodes.get(node.id)
            shape = info.out_shape if info is not None else None
            # as the canvas's wires show it, batch first
            out = "?" if shape is None else "(" + ", ".join(["N", *map(str, shape)]) + ")"
            params = format_count(info.params) if info is not None and info.params else "–"
            row = QTreeWidgetItem([node.name, out, params])
            row.setToolTip(0, f"{node.name}: {node.spec.display_name}")
            row.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.addTopLevelItem(row)


class Inspector(QWidget):
    """Edits the selected node (objectName ``inspector``) through ``editor``."""

    def __init__(self, editor: GraphEditing, parent=None):
        super().__init__(parent)
        self.setObjectName("inspector")
        self.editor = editor
        graph = self.graph = editor.graph
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.param_help: list[QLabel] = []  # the line of help under each editor
        self.help_inline = True

        self.title = QLabel(self)
        self.title.setObjectName("inspectorTitle")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.layer_help = self._help_label("")
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("nameEdit")
        self.name_edit.editingFinished.connect(self._rename)
        self.error = QLabel(self)
        self.error.setObjectName("inspectorError")
        self.error.setWordWrap(True)
        error_palette = self.error.palette()
        error_palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.red)
        self.error.setPalette(error_palette)
        self.error.hide()

        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.report: GraphReport | None = None
        self.summary = NetworkSummary(self)
        self.summary.heading.setFont(self.title.font())
        self.summary.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        layout = QVBoxLayout(self)
        for widget in (self.title, self.layer_help):
            layout.addWidget(widget)
        name_row = QFormLayout()
        self.name_label = QLabel("Name", self)
        name_row.addRow(self.name_label, self.name_edit)
        layout.addLayout(name_row)
        layout.addWidget(self.form_host)
        layout.addWidget(self.error)
        self.parameter_view = ParameterView(self)  # what the layer learnt (app sends weights)
        layout.addWidget(self.parameter_view)
        # The summary fills the panel when nothing is selected; the editors sit at the top.
        layout.addWidget(self.summary, 1)
        self._stretch = layout.count()
        layout.addStretch(1)

        graph.add_listener(self._on_graph_event)
        listener, model = self._on_graph_event, graph
        self.destroyed.connect(lambda: model.remove_listener(listener))
        self.set_node(None)

    def _help_label(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        label.setFont(font)
        return label

    # -- showing a node ----------------------------------------------------------------------
    def set_node(self, node_id: str | None) -> None:
        """Show ``node_id`` (None: nothing selected)."""
        if node_id is not None and node_id not in self.graph.nodes:
            node_id = None
        self.node_id = node_id
        self._clear_form()
        self._show_error("")
        has_node = node_id is not None
        for widget in (
            self.title,
            self.layer_help,
            self.name_label,
            self.name_edit,
            self.form_host,
        ):
            widget.setVisible(has_node)
        self.summary.setVisible(not has_node)
        self.parameter_view.set_node(self.graph.nodes[node_id].name if has_node else None)
        self.layout().setStretch(self._stretch, 1 if has_node else 0)
        if not has_node:
            self.summary.show_report(self.graph, self.report)
            return
        node = self.graph.nodes[node_id]
        spec = node.spec
        self.title.setText(f"{spec.display_name}  ·  {spec.category}")
        self.layer_help.setText(spec.help)
        self.name_edit.setText(node.name)
        for param in spec.params:
            editor = editor_for(param, self.form_host)
            editor.set_value(node.params[param.name])
            editor.edited.connect(lambda name=param.name: self._apply(name))
            self.editors[param.name] = editor
            cell = QWidget(self.form_host)
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(1)
            column.addWidget(editor)
            if param.help:
                help_label = self._help_label(param.help)
                help_label.setVisible(self.help_inline)
                column.addWidget(help_label)
                self.param_help.append(help_label)
            self.form.addRow(param.label or param.name, cell)

    def focus_name(self) -> None:
        """Put the keyboard in the name field with the name selected (double-click, Rename)."""
        if self.node_id is None:
            return
        self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.name_edit.selectAll()

    def set_training_state(self, state: str) -> None:
        """The training controller's state, so the summary never says "ready" mid-run."""
        self.summary.training_state = state
        if self.node_id is None:
            self.summary.show_report(self.graph, self.report)

    def set_report(self, report: GraphReport | None) -> None:
        """Take the latest analysis of the graph: the summary shows its totals and shapes."""
        self.report = report
        if self.node_id is None:
            self.summary.show_report(self.graph, report)

    def show_param_help(self, inline: bool) -> None:
        """Show each parameter's help under its editor (True) or only in its tooltip (False).

        A short screen folds the lines away so the settings and the learnt parameters fit
        without scrolling; the editors keep the help as their tooltips and "What's this".
        """
        self.help_inline = inline
        for label in self.param_help:
            label.setVisible(inline)

    def height_with_help(self) -> int:
        """The height the inspector asks for with the parameters' help lines shown."""
        hidden = 0 if self.help_inline else sum(l.sizeHint().height() + 1 for l in self.param_help)
        return self.sizeHint().height() + hidden

    def _clear_form(self) -> None:
        self.param_help.clear()
        self.editors.clear()  # removeRow deletes each row's cell and the editor in it
        while self.form.rowCount():
            self.form.removeRow(0)

    def _show_error(self, message: str, key: str | None = None) -> None:
        """Show ``message`` under the form and outline the editor of parameter ``key``."""
        self.error.setText(message)
        self.error.setVisible(bool(message))
        for name, editor in self.editors.items():
            editor.set_error(bool(message) and name == key)

    # -- edits -------------------------------------------------------------------------------
    def _apply(self, key: str) -> None:
        if self.node_id is None:
            return
        editor = self.editors[key]
        node = self.graph.nodes[self.node_id]
        try:
            value = editor.spec.validate(editor.value())
        except ValueError as exc:
            self._show_error(str(exc), key)
            return
        self._show_error("")
        if value == node.params[key] and type(value) is type(node.params[key]):
            return
        self.editor.set_param(self.node_id, key, value)

    def _rename(self) -> None:
        if self.node_id is None:
            return
        name = self.name_edit.text().strip()
        node = self.graph.nodes[self.node_id]
        if name == node.name:
            self._show_error("")
            return
        if not is_valid_name(name):
            self._show_error(
                f"{name!r} cannot be a node name: use letters, digits and underscores, "
                "and start with a letter."
            )
            return
        other = self.graph.node_by_name(name)
        if other is not None and other.id != self.node_id:
            self._show_error(f"The name {name!r} is already used by another node.")
            return
        self._show_error("")
        self.editor.rename(self.node_id, name)

    # -- following the graph -----------------------------------------------------------------
    def _on_graph_event(self, event: GraphEvent) -> None:
        if event.kind == "reset" or (
            event.kind == "node_removed" and event.node_id == self.node_id
        ):
            self.set_node(None)
        elif event.node_id != self.node_id or self.node_id is None:
            return
        elif event.kind == "param_changed" and event.key in self.editors:
            self.editors[event.key].set_value(event.new)
            self._show_error("")
        elif event.kind == "node_renamed":
            self.name_edit.setText(event.new)
