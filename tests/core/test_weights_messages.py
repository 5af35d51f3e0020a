"""Refused weight and project files are named in the person's terms, not the reader's."""

from __future__ import annotations

from pathlib import Path

import pytest

from neurocanvas.core.io.export import WeightsError, load_weights
from neurocanvas.core.io.export.weights import read_metadata
from neurocanvas.core.io.project import ProjectError, load_project


@pytest.mark.parametrize("read", [load_weights, read_metadata])
def test_a_random_bytes_npz_is_refused_without_advice_to_unpickle(tmp_path: Path, read) -> None:
    path = tmp_path / "garbage.npz"
    path.write_bytes(b"\x80\x04garbage that is neither a zip nor an npy file" * 8)
    with pytest.raises(WeightsError) as caught:
        read(path)
    message = str(caught.value)
    assert message.startswith("garbage.npz is not a readable npz file")
    assert "allow_pickle" not in message


def test_an_unterminated_string_is_reported_once_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "broken.ncproj"
    path.write_text('{"format": "neurocanvas-project", "name": "abc\n , "x": 2}\n')
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    assert " at at " not in str(caught.value)
    assert "line 1" in str(caught.value)
