"""Saving a project and its weights is all-or-nothing as a pair, whatever fails and when.

Two fault models: every file-system call the save makes fails in turn (a fake file system by
monkeypatching), and a file-size limit (RLIMIT_FSIZE) at every size in a real subprocess, so
that writes fail half way as on a full disk. After each failed save the files on disk must
be exactly the old pair, and a save that succeeds must leave exactly the new pair.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from neurocanvas.core.io.project import (
    Project,
    ProjectError,
    load_project,
    save_project,
    weights_file,
)
from neurocanvas.core.network.graph import Graph


def project(name: str) -> Project:
    graph = Graph()
    graph.add_node("Input", params={"shape": (1,)}, name="input")
    graph.add_node("Output", name="output", pos=(300, 0))
    return Project(graph=graph, name=name)


OLD = (project("old"), {"w": np.full((8, 8), 1.0, np.float32)})
NEW = (project("new"), {"w": np.full((8, 8), 2.0, np.float32)})


def pair_on_disk(path: Path) -> str:
    """'old' or 'new' when the project and its weights agree, else what is wrong."""
    loaded, weights = load_project(path)
    assert not loaded.notices, loaded.notices
    assert weights is not None
    value = float(weights["w"][0, 0])
    expected = {"old": 1.0, "new": 2.0}[loaded.name]
    assert value == expected, f"{loaded.name} project with weights {value}"
    return loaded.name


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


CALLS = ("mkstemp", "fsync", "chmod", "replace", "unlink", "stat", "umask")


class FaultyFileSystem:
    """Fails the ``fail_at``-th call (counting from 0) among the calls a save makes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int) -> None:
        self.fail_at = fail_at
        self.calls = 0
        self.failed: str | None = None
        for name in CALLS:
            owner = tempfile if name == "mkstemp" else os
            monkeypatch.setattr(owner, name, self._wrap(name, getattr(owner, name)))

    def _wrap(self, name, real):
        def call(*args, **kwargs):
            if self.calls == self.fail_at:
                self.calls += 1
                self.failed = name
                raise OSError(28, f"No space left on device (injected in {name})")
            self.calls += 1
            return real(*args, **kwargs)

        return call


def test_a_failure_at_every_file_system_call_leaves_the_old_pair_or_the_new_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    outcomes: dict[str, int] = {"old": 0, "new": 0}
    fail_at = 0
    while True:
        folder = tmp_path / f"try{fail_at}"
        folder.mkdir()
        path = folder / "net.ncproj"
        save_project(OLD[0], path, OLD[1])
        with monkeypatch.context() as patch:
            fs = FaultyFileSystem(patch, fail_at)
            try:
                save_project(NEW[0], path, NEW[1])
                raised = False
            except ProjectError as exc:
                raised = True
                assert "injected" in str(exc)
        on_disk = pair_on_disk(path)
        outcomes[on_disk] += 1
        if raised:  # a refused save changed nothing, and left no temporary file
            assert on_disk == "old", f"failed in {fs.failed} but the new pair is on disk"
            assert len(leftovers(folder)) == 2, leftovers(folder)
        if fs.failed is None:  # the save ran to the end: nothing was left to break
            assert on_disk == "new" and len(leftovers(folder)) == 2, leftovers(folder)
            break
        fail_at += 1
    # the last step (removing the old weights) may fail after the switch: new pair + a stale file
    assert outcomes["old"] >= 5 and outcomes["new"] >= 1, outcomes


FSIZE_SCRIPT = textwrap.dedent(
    """
    import json, resource, signal, sys
    from pathlib import Path
    import numpy as np
    from neurocanvas.core.io.project import Project, ProjectError, load_project, save_project
    from neurocanvas.core.network.graph import Graph

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    folder, step = Path(sys.argv[1]), int(sys.argv[2])

    def project(name):
        g = Graph()
        g.add_node("Input", params={"shape": (1,)}, name="input")
        g.add_node("Output", name="output", pos=(300, 0))
        return Project(graph=g, name=name)

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    results = []
    limit = 0
    while True:
        sub = folder / f"limit{limit}"
        sub.mkdir()
        path = sub / "net.ncproj"
        save_project(project("old"), path, {"w": np.full((64, 64), 1.0, np.float32)})
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        try:
            save_project(project("new"), path, {"w": np.full((64, 64), 2.0, np.float32)})
            ok = True
        except ProjectError:
            ok = False
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        loaded, weights = load_project(path)
        value = None if weights is None else float(weights["w"][0, 0])
        files = len(list(sub.iterdir()))
        results.append([limit, ok, loaded.name, value, files, loaded.notices])
        if ok:
            break
        limit += step
    print(json.dumps(results))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_file_size_limit_at_every_size_leaves_the_old_pair_or_the_new_pair(tmp_path: Path):
    import json

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", FSIZE_SCRIPT, str(tmp_path), "1024"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert len(results) >= 10  # the weights alone are 16 KiB: many limits fail mid-write
    for limit, ok, name, value, files, notices in results:
        expected = (name, value) == ("new", 2.0) if ok else (name, value) == ("old", 1.0)
        assert expected, f"limit {limit}: saved={ok}, {name} project with weights {value}"
        assert files == 2 and notices == [], (limit, files, notices)


def test_saving_through_a_symlink_updates_the_target_and_keeps_the_link(tmp_path: Path):
    real = tmp_path / "real"
    real.mkdir()
    target = real / "net.ncproj"
    save_project(OLD[0], target, OLD[1])
    link = tmp_path / "link.ncproj"
    link.symlink_to(target)
    save_project(NEW[0], link, NEW[1])
    assert link.is_symlink()
    assert pair_on_disk(target) == "new" and pair_on_disk(link) == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.ncproj", "real"]
    assert weights_file(link).parent == real


def test_saved_files_get_the_users_umask_not_0600(tmp_path: Path):
    old = os.umask(0o027)
    try:
        save_project(NEW[0], tmp_path / "net.ncproj", NEW[1])
    finally:
        os.umask(old)
    for file in tmp_path.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o640, file.name


def test_replacing_a_file_keeps_its_permissions(tmp_path: Path):
    path = tmp_path / "net.ncproj"
    save_project(OLD[0], path)
    path.chmod(0o604)
    save_project(NEW[0], path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o604


def test_saving_without_weights_removes_the_old_weights_file(tmp_path: Path):
    path = tmp_path / "net.ncproj"
    save_project(OLD[0], path, OLD[1])
    save_project(NEW[0], path)
    assert load_project(path)[1] is None
    assert leftovers(tmp_path) == ["net.ncproj"]


def test_a_hand_edited_weights_field_never_makes_a_save_delete_another_file(tmp_path: Path):
    path = tmp_path / "net.ncproj"
    save_project(OLD[0], path, OLD[1])
    precious = tmp_path / "precious.safetensors"
    precious.write_bytes(b"keep me")
    text = path.read_text().replace(weights_file(path).name, "precious.safetensors")
    path.write_text(text)
    save_project(NEW[0], path, NEW[1])
    assert precious.read_bytes() == b"keep me"


def test_non_finite_weights_are_refused_naming_the_tensor_and_nothing_is_written(
    tmp_path: Path,
):
    path = tmp_path / "net.ncproj"
    save_project(OLD[0], path, OLD[1])
    bad = {"w": np.full((2, 2), np.inf, np.float32), "b": np.zeros(2, np.float32)}
    with pytest.raises(ProjectError, match="w holds 4 NaN or infinite") as err:
        save_project(NEW[0], path, bad)
    assert err.value.field == "weights"
    assert pair_on_disk(path) == "old" and len(leftovers(tmp_path)) == 2
