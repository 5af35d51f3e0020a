"""Projects that travel: data files beside or below the project are stored relative to it."""

from __future__ import annotations

import json
import shutil

from neurocanvas.core.datasets import default_params
from neurocanvas.core.io.examples import load_example
from neurocanvas.core.io.project import load_project, save_project


def _csv_project(path: str):
    project = load_example("general-fit")
    project.dataset_key = "csv"
    project.dataset_params = {**default_params("csv"), "path": path}
    return project


def _stored(project_file) -> str:
    return json.loads(project_file.read_text())["dataset"]["params"]["path"]


def test_a_file_beside_or_below_the_project_is_stored_relative(tmp_path):
    (tmp_path / "data").mkdir()
    save_project(_csv_project(str(tmp_path / "data" / "a.csv")), tmp_path / "p.ncproj")
    assert _stored(tmp_path / "p.ncproj") == "data/a.csv"
    save_project(_csv_project(str(tmp_path / "b.csv")), tmp_path / "q.ncproj")
    assert _stored(tmp_path / "q.ncproj") == "b.csv"


def test_a_file_elsewhere_stays_absolute(tmp_path):
    (tmp_path / "proj").mkdir()
    elsewhere = tmp_path / "shared" / "c.csv"
    save_project(_csv_project(str(elsewhere)), tmp_path / "proj" / "p.ncproj")
    assert _stored(tmp_path / "proj" / "p.ncproj") == str(elsewhere)


def test_loading_resolves_against_the_projects_folder_wherever_it_moved(tmp_path):
    (tmp_path / "a").mkdir()
    save_project(_csv_project(str(tmp_path / "a" / "d.csv")), tmp_path / "a" / "p.ncproj")
    shutil.move(tmp_path / "a", tmp_path / "b")
    project, _ = load_project(tmp_path / "b" / "p.ncproj")
    assert project.dataset_params["path"] == str(tmp_path / "b" / "d.csv")


def test_an_old_project_with_an_absolute_path_keeps_it(tmp_path):
    save_project(_csv_project("/data/old.csv"), tmp_path / "p.ncproj")
    project, _ = load_project(tmp_path / "p.ncproj")
    assert project.dataset_params["path"] == "/data/old.csv"


def test_idx_paths_travel_too(tmp_path):
    project = load_example("general-fit")
    project.dataset_key = "mnist"
    project.dataset_params = {
        **default_params("mnist"),
        "images_path": str(tmp_path / "mnist" / "train-images.gz"),
        "labels_path": str(tmp_path / "mnist" / "train-labels.gz"),
    }
    save_project(project, tmp_path / "m.ncproj")
    params = json.loads((tmp_path / "m.ncproj").read_text())["dataset"]["params"]
    assert params["images_path"] == "mnist/train-images.gz"
    assert params["labels_path"] == "mnist/train-labels.gz"
