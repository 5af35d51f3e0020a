"""One editor class per parameter kind, shared by the inspector and the data set panel.

Layers and data sets describe their parameters with the same catalogue ``ParamSpec``, so
both panels build their fields here and a parameter looks, parses and marks errors the same
wherever it is shown. Every editor does four things: ``set_value`` shows a value (never
announced as an edit), ``edited`` fires when a person changes it, ``value`` reads it back and
``set_error`` marks the field at fault. ``value`` only refuses text that cannot be parsed at
all; range and kind checks stay with ``ParamSpec.validate``, the one place that knows them.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from neurocanvas.core.network.catalogue import ParamSpec

__all__ = [
    "ALL_FILES",
    "ERROR_STYLE",
    "BoolEditor",
    "ChoiceEditor",
    "FileEditor",
    "FloatEditor",
    "IntEditor",
    "LogFloatEditor",
    "ParamEditor",
    "ShapeEditor",
    "TextEditor",
    "editor_for",
]

ERROR_STYLE = "border: 1px solid #d55e00;"
ALL_FILES = "All files (*)"
_INT_LIMIT = 2**31 - 1  # what a QSpinBox can hold
_FLOAT_LIMIT = 1e12  # an open-ended float still needs a finite spin box range


class ParamEditor(QWidget):
    """Base of the per-kind editors: a row holding ``field``, named ``param_<name>``.

    ``bursty`` is True where one gesture fires many edits (held arrow keys on a spin box),
    so a listener doing costly work per edit knows to wait for the burst to end.
    """

    edited = Signal()
    bursty = False

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setToolTip(spec.help)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.field = self._make_field()
        # Tests and screenshots find the field itself (a QSpinBox, a QLineEdit...) by name.
        self.field.setObjectName(f"param_{spec.name}")
        self.field.setToolTip(spec.help)
        self.row.addWidget(self.field)
        self.set_value(spec.default)

    def _make_field(self) -> QWidget:
        raise NotImplementedError

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def value(self) -> Any:
        """The value as entered; ValueError naming the parameter if it cannot be parsed."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show ``value`` without announcing it as an edit (a refresh must not edit)."""
        blocked = self.field.blockSignals(True)
        try:
            self._show(value)
        finally:
            self.field.blockSignals(blocked)

    def set_error(self, on: bool) -> None:
        """Outline the field when this parameter is the one at fault."""
        self.field.setStyleSheet(ERROR_STYLE if on else "")


class _SpinEditor(ParamEditor):
    """Base of the spin box editors: the schema's range, one edit per typed number."""

    bursty = True
    number: type[int] | type[float]
    limit: float  # the range of an open end; a spin box needs a finite one

    def _new_box(self) -> QSpinBox | QDoubleSpinBox:
        raise NotImplementedError

    def _make_field(self) -> QWidget:
        self.spin = self._new_box()
        low, high = self.spec.min, self.spec.max
        self.spin.setRange(
            self.number(low) if low is not None else self.number(-self.limit),
            self.number(high) if high is not None else self.number(self.limit),
        )
        self.spin.setKeyboardTracking(False)  # one edit per typed number, not per digit
        self.spin.valueChanged.connect(self.edited)
        return self.spin

    def value(self) -> int | float:
        return self.number(self.spin.value())

    def _show(self, value: Any) -> None:
        self.spin.setValue(self.number(value))


class IntEditor(_SpinEditor):
    """A spin box for whole numbers, with thousands separated for reading."""

    number, limit = int, _INT_LIMIT

    def _new_box(self) -> QSpinBox:
        box = QSpinBox()
        box.setGroupSeparatorShown(True)
        return box


class FloatEditor(_SpinEditor):
    """A spin box for floats, stepping by the value's last significant digit."""

    number, limit = float, _FLOAT_LIMIT

    def _new_box(self) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setDecimals(4)  # before the range, which is rounded to the decimals shown
        # 0.25 steps by 0.01 and 40 by 1: one step type suits noise levels and x ranges.
        box.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        return box


class BoolEditor(ParamEditor):
    """A check box."""

    def _make_field(self) -> QWidget:
        self.check = QCheckBox()
        self.check.toggled.connect(self.edited)
        return self.check

    def value(self) -> bool:
        return self.check.isChecked()

    def _show(self, value: Any) -> None:
        self.check.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    """A drop-down of the schema's choices."""

    def _make_field(self) -> QWidget:
        self.combo = QComboBox()
        self.combo.addItems(list(self.spec.choices))
        self.combo.currentIndexChanged.connect(self.edited)
        return self.combo

    def value(self) -> str:
        return self.combo.currentText()

    def _show(self, value: Any) -> None:
        self.combo.setCurrentText(str(value))


class _LineEditor(ParamEditor):
    """Base of the text-entry editors: one edit when editing finishes with new text.

    Enter and the focus loss after it both finish editing; counting only changed text keeps
    that from trying (or reporting an error for) the same text twice.
    """

    placeholder = ""

    def _make_field(self) -> QWidget:
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.placeholder)
        self.edit.editingFinished.connect(self._finished)
        self._last = ""
        return self.edit

    def _finished(self) -> None:
        if self.edit.text() != self._last:
            self._last = self.edit.text()
            self.edited.emit()

    def set_value(self, value: Any) -> None:
        super().set_value(value)
        self._last = self.edit.text()


class TextEditor(_LineEditor):
    """Free text (a formula, a column name), without surrounding spaces."""

    def _make_field(self) -> QWidget:
        edit = super()._make_field()
        self.edit.setClearButtonEnabled(True)
        # The help's first sentence says what to type, e.g. "Column name (empty = last column)".
        self.edit.setPlaceholderText(self.spec.help.split(".")[0] if self.spec.help else "")
        return edit

    def value(self) -> str:
        return self.edit.text().strip()

    def _show(self, value: Any) -> None:
        self.edit.setText(str(value))


class FileEditor(TextEditor):
    """A path with a Browse… button that opens a file dialog filtered by ``file_filter``."""

    def __init__(
        self, spec: ParamSpec, file_filter: str = ALL_FILES, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, parent)
        self.file_filter = file_filter
        self.edit.setPlaceholderText("choose a file…")
        self.browse = QPushButton("Browse…")
        self.browse.setToolTip(f"Choose the {spec.label or spec.name}")
        self.browse.clicked.connect(self.choose)
        self.row.addWidget(self.browse)

    def choose(self) -> None:
        """Ask for a file; a chosen one is an edit, as if typed."""
        title = f"Choose {self.spec.label or self.spec.name}"
        path, _ = QFileDialog.getOpenFileName(self, title, self.value(), self.file_filter)
        if path:
            self.edit.setText(path)
            self._finished()


class LogFloatEditor(_LineEditor):
    """Text entry for floats spanning decades (1e-10 ... 1): a spin box cannot show them all."""

    placeholder = "e.g. 1e-5"

    def value(self) -> float:
        text = self.edit.text().strip()
        try:
            return float(text)
        except ValueError:
            raise ValueError(
                f"{self.spec.name} must be a number such as 1e-5, got {text!r}"
            ) from None

    def _show(self, value: Any) -> None:
        self.edit.setText(f"{float(value):g}")


class ShapeEditor(_LineEditor):
    """Sizes typed as ``1, 28, 28``; spaces or commas separate them, brackets are ignored."""

    placeholder = "e.g. 1, 28, 28"

    def value(self) -> tuple[int, ...]:
        text = self.edit.text().strip().strip("()[]")
        parts = [p for p in re.split(r"[,\s]+", text) if p]
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise ValueError(
                f"{self.spec.name} must be whole numbers separated by commas, "
                f"e.g. 1, 28, 28; got {self.edit.text()!r}"
            ) from None

    def _show(self, value: Any) -> None:
        self.edit.setText(", ".join(str(v) for v in value))


EDITORS: dict[str, type[ParamEditor]] = {
    "int": IntEditor,
    "float": FloatEditor,
    "bool": BoolEditor,
    "choice": ChoiceEditor,
    "str": TextEditor,
    "shape": ShapeEditor,
}


def editor_for(
    spec: ParamSpec, parent: QWidget | None = None, *, file_filter: str = ALL_FILES
) -> ParamEditor:
    """The editor for ``spec``, chosen by its kind.

    Log-scale floats get text entry and text parameters named ``...path`` a file picker
    offering ``file_filter`` (the catalogue has no "file" kind; the name says it).
    """
    if spec.kind == "float" and spec.log:
        return LogFloatEditor(spec, parent)
    if spec.kind == "str" and spec.name.endswith("path"):
        return FileEditor(spec, file_filter, parent)
    editor_class = EDITORS.get(spec.kind)
    if editor_class is None:
        raise ValueError(
            f"parameter {spec.name!r} has kind {spec.kind!r}, which has no editor; "
            f"known kinds: {', '.join(EDITORS)}"
        )
    return editor_class(spec, parent)
