"""The start-up check of the Qt binding: a version known to crash is refused in one line."""

from __future__ import annotations

import pytest

from neurocanvas import launcher


def test_the_crashing_pyside6_is_named_with_the_fix():
    message = launcher.binding_problem("6.12.0")
    assert message is not None
    assert "6.12.0" in message and "deallocating None" in message
    assert 'pip install "PySide6-Essentials<6.12"' in message
    assert "\n" not in message


@pytest.mark.parametrize("version", ["6.11.3", "6.6.0", "6.12.1"])
def test_other_versions_pass(version):
    assert launcher.binding_problem(version) is None


def test_the_app_does_not_start_with_the_crashing_binding(monkeypatch, capsys):
    monkeypatch.setattr(launcher, "installed_binding", lambda: "6.12.0")
    started = []
    monkeypatch.setattr(launcher, "display_problem", lambda: started.append("checked") or None)
    assert launcher.main(["general-fit"]) == launcher.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PySide6-Essentials<6.12" in err
    assert started == []  # refused first: no window, no other check


def test_the_installed_binding_is_read_without_importing_qt():
    version = launcher.installed_binding()
    assert version is not None and version.split(".")[0] == "6"
