"""The layer palette: every catalogue entry by category, search, tooltips, drag data."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from neurocanvas.core.network.catalogue import LAYERS
from neurocanvas.widgets.palette import LAYER_MIME, TYPE_ROLE, Palette


@pytest.fixture
def palette(qtbot):
    widget = Palette()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_every_layer_is_listed_under_its_category(palette):
    tree = palette.tree
    seen = {}
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        for j in range(group.childCount()):
            seen[group.child(j).data(0, TYPE_ROLE)] = group.text(0)
    assert seen == {t: spec.category for t, spec in LAYERS.items()}
    assert palette.objectName() == "palette"


def test_each_layer_has_its_help_as_tooltip(palette):
    for layer_type, item in palette.layer_items.items():
        assert LAYERS[layer_type].help in item.toolTip(0)


def test_search_filters_by_name_and_by_help(palette):
    QTest.keyClicks(palette.search, "conv")
    assert "Conv2d" in palette.visible_layer_types()
    assert "Linear" not in palette.visible_layer_types()
    palette.search.clear()
    assert sorted(palette.visible_layer_types()) == sorted(LAYERS)
    word = LAYERS["Dropout"].help.split()[2].lower()
    palette.search.setText(word)
    shown = palette.visible_layer_types()
    assert "Dropout" in shown
    assert all(word in (LAYERS[t].help + t + LAYERS[t].display_name).lower() for t in shown)


def test_search_with_no_match_hides_every_category(palette):
    palette.search.setText("no such layer at all")
    tree = palette.tree
    assert all(tree.topLevelItem(i).isHidden() for i in range(tree.topLevelItemCount()))


def test_drag_data_carries_the_layer_type(palette):
    mime = palette.tree.mimeData([palette.layer_items["Linear"]])
    assert bytes(mime.data(LAYER_MIME)).decode() == "Linear"
    assert palette.tree.mimeTypes() == [LAYER_MIME]


def test_double_click_asks_to_add_the_layer(palette, qtbot):
    item = palette.layer_items["ReLU"]
    rect = palette.tree.visualItemRect(item)
    viewport = palette.tree.viewport()
    with qtbot.waitSignal(palette.layer_activated) as activated:
        # A real double click: press/release, then the double-click event.
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
        QTest.mouseDClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated.args == ["ReLU"]
