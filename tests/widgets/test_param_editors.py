"""The shared per-kind parameter editors, each driven through its widget as a person would."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QLineEdit, QSpinBox

from neurocanvas.core.network.catalogue import ParamSpec
from neurocanvas.widgets.param_editors import (
    ERROR_STYLE,
    BoolEditor,
    ChoiceEditor,
    FileEditor,
    FloatEditor,
    IntEditor,
    LogFloatEditor,
    ShapeEditor,
    TextEditor,
    editor_for,
)

ENTER = Qt.Key.Key_Return

SPECS = {
    "int": ParamSpec("units", "int", 32, "Units", "How many units.", 1, 5000),
    "float": ParamSpec("p", "float", 0.5, "Drop", "Chance to drop.", 0.0, 1.0),
    "log": ParamSpec("eps", "float", 1e-5, "Epsilon", "Added.", 1e-10, 1.0, log=True),
    "bool": ParamSpec("bias", "bool", True, "Bias", "Learn a bias."),
    "choice": ParamSpec("mode", "choice", "a", "Mode", "", choices=("a", "b", "c")),
    "str": ParamSpec("formula", "str", "x^2", "y =", "An expression in x. More help."),
    "shape": ParamSpec("shape", "shape", (1, 28, 28), "Shape", "Sizes.", 1, None),
    "path": ParamSpec("path", "str", "", "CSV file", "A file."),
}


@pytest.fixture
def make(qtbot):
    """Build the editor for one of SPECS, shown, with its edits counted in ``edits``."""

    def build(key, **kwargs):
        editor = editor_for(SPECS[key], **kwargs)
        qtbot.addWidget(editor)
        editor.show()
        qtbot.waitExposed(editor)
        editor.edits = []
        editor.edited.connect(lambda: editor.edits.append(read(editor)))
        return editor

    return build


def read(editor):
    """The editor's value, or the message of its refusal (a slot must not raise)."""
    try:
        return editor.value()
    except ValueError as exc:
        return str(exc)


def type_into(widget, text):
    """Select what is there, type ``text`` and press Enter."""
    target = widget.lineEdit() if hasattr(widget, "lineEdit") else widget
    target.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, ENTER)


@pytest.mark.parametrize(
    ("key", "editor_class", "field_class"),
    [
        ("int", IntEditor, QSpinBox),
        ("float", FloatEditor, QDoubleSpinBox),
        ("log", LogFloatEditor, QLineEdit),
        ("bool", BoolEditor, QCheckBox),
        ("choice", ChoiceEditor, QComboBox),
        ("str", TextEditor, QLineEdit),
        ("shape", ShapeEditor, QLineEdit),
        ("path", FileEditor, QLineEdit),
    ],
)
def test_factory_picks_the_kind_shows_the_default_and_names_the_field(
    make, key, editor_class, field_class
):
    editor = make(key)
    spec = SPECS[key]
    assert type(editor) is editor_class
    assert isinstance(editor.field, field_class)
    assert editor.findChild(field_class, f"param_{spec.name}") is editor.field
    assert editor.field.toolTip() == spec.help
    assert spec.validate(editor.value()) == spec.default


@pytest.mark.parametrize(
    ("key", "other"),
    [
        ("int", 77),
        ("float", 0.125),
        ("log", 3e-7),
        ("bool", False),
        ("choice", "c"),
        ("str", "sin(x)"),
        ("shape", (3, 8)),
        ("path", "/tmp/a.csv"),
    ],
)
def test_set_value_shows_the_value_without_announcing_an_edit(make, key, other):
    editor = make(key)
    editor.set_value(other)
    assert editor.value() == pytest.approx(other) if key == "log" else editor.value() == other
    assert editor.edits == []


def test_unknown_kind_is_refused_with_the_parameter_and_kind_named():
    with pytest.raises(ValueError, match=r"'odd' has kind 'colour'.*known kinds: int"):
        editor_for(ParamSpec("odd", "colour", None))


def test_int_typing_edits_once_and_the_range_holds(make):
    editor = make("int")
    spin = editor.spin
    assert (spin.minimum(), spin.maximum()) == (1, 5000)
    assert not spin.keyboardTracking()
    type_into(spin, "1234")
    assert editor.edits == [1234]  # one edit for the typed number, not one per digit
    assert spin.locale().groupSeparator() in spin.text()  # 1,234 reads at a glance
    type_into(spin, "9999")  # the last digit would leave the range: the box refuses it
    assert editor.value() == 999
    editor.set_value(1)
    QTest.keyClick(spin, Qt.Key.Key_Down)
    assert editor.value() == 1 and editor.edits == [1234, 999]
    QTest.keyClick(spin, Qt.Key.Key_Up)
    assert editor.edits[-1] == 2 and editor.bursty


def test_float_typing_steps_by_the_last_digit_within_the_range(make):
    editor = make("float")
    type_into(editor.spin, "0.25")
    assert editor.edits == [0.25]
    QTest.keyClick(editor.spin, Qt.Key.Key_Up)
    assert editor.value() == pytest.approx(0.26)
    editor.set_value(1.0)
    QTest.keyClick(editor.spin, Qt.Key.Key_Up)
    assert editor.value() == 1.0 and len(editor.edits) == 2


def test_log_float_takes_scientific_text_and_names_unparsable_text(make):
    editor = make("log")
    assert editor.edit.text() == "1e-05"
    type_into(editor.edit, "3e-8")
    assert editor.edits == [pytest.approx(3e-8)]
    type_into(editor.edit, "tiny")
    assert editor.edits[-1] == "eps must be a number such as 1e-5, got 'tiny'"
    with pytest.raises(ValueError, match="eps must be a number"):
        editor.value()


def test_bool_and_choice_edit_from_the_keyboard(make):
    check = make("bool")
    QTest.keyClick(check.check, Qt.Key.Key_Space)
    assert check.edits == [False]
    choice = make("choice")
    choice.combo.setFocus()
    QTest.keyClick(choice.combo, Qt.Key.Key_Down)
    assert choice.edits == ["b"]


def test_text_is_one_edit_per_change_without_surrounding_spaces(make):
    editor = make("str")
    assert editor.edit.placeholderText() == "An expression in x"
    type_into(editor.edit, "  3*x  ")
    editor.edit.editingFinished.emit()  # the focus loss after Enter finishes editing again
    assert editor.edits == ["3*x"]
    editor.set_value("x")
    editor.edit.editingFinished.emit()  # the shown value is not new text
    assert editor.edits == ["3*x"]


def test_shape_parses_commas_spaces_and_brackets_and_names_bad_text(make):
    editor = make("shape")
    assert editor.edit.text() == "1, 28, 28"
    type_into(editor.edit, "[3 32, 32]")
    assert editor.edits == [(3, 32, 32)]
    type_into(editor.edit, "1, x")
    assert editor.edits[-1].startswith("shape must be whole numbers")
    assert editor.edits[-1].endswith("got '1, x'")


def test_file_picker_offers_the_filter_and_a_choice_is_an_edit(make, monkeypatch):
    asked = []

    def dialog(parent, title, start, file_filter):
        asked.append((title, file_filter))
        return answers.pop(0), ""

    answers = ["/data/points.csv", ""]  # a chosen file, then a cancelled dialog
    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog)
    editor = make("path", file_filter="CSV files (*.csv)")
    editor.browse.click()
    assert editor.edits == ["/data/points.csv"]
    editor.browse.click()
    assert editor.edits == ["/data/points.csv"] and editor.value() == "/data/points.csv"
    assert asked == [("Choose CSV file", "CSV files (*.csv)")] * 2


def test_set_error_outlines_the_field_and_clears_it(make):
    editor = make("int")
    editor.set_error(True)
    assert editor.spin.styleSheet() == ERROR_STYLE
    editor.set_error(False)
    assert editor.spin.styleSheet() == ""
