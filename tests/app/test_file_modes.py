"""Files the window writes get the user's normal permissions (0o666 less the umask), like
any other program's: the project, its weights, the autosave and every export."""

from __future__ import annotations

import os
import stat

import pytest

from neurocanvas.core.io.export import EXPORT_FORMATS
from tests.app.test_files import save_dialog_returns, train_a_little

UMASK = 0o002  # neither 0o022 nor mkstemp's 0o600: a hard-coded mode would show


@pytest.fixture
def umask():
    old = os.umask(UMASK)
    yield UMASK
    os.umask(old)


def modes(folder) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_saved_autosaved_and_exported_files_get_the_umasks_mode(
    window_factory, qtbot, tmp_path, monkeypatch, umask
):
    monkeypatch.setenv("NEUROCANVAS_DATA_DIR", str(tmp_path / "data"))
    w = window_factory("linear-regression", show=False)
    train_a_little(w, qtbot, steps=10)
    out = tmp_path / "out"
    out.mkdir()
    save_dialog_returns(monkeypatch, out / "fit.ncproj")
    w.save_action.trigger()
    for key, spec in EXPORT_FORMATS.items():
        save_dialog_returns(monkeypatch, out / f"export-{key}{spec.suffix}")
        w.export_actions[key].trigger()
    assert w.autosaver.save_now()
    written = modes(out)
    assert "fit.ncproj" in written and any(".weights-" in name for name in written)
    assert len([n for n in written if n.startswith("export-")]) >= len(EXPORT_FORMATS)
    autosaved = modes(tmp_path / "data")
    assert any(name.endswith(".ncproj") for name in autosaved), autosaved
    wanted = 0o666 & ~umask
    assert {name: oct(m) for name, m in {**written, **autosaved}.items() if m != wanted} == {}
