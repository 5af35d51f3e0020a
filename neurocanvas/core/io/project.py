"""Project files (``.ncproj``): a graph, its data set, training settings and view hints.

The file is JSON with a format marker and version so that a future NeuroCanvas can read old
files and this one can refuse newer ones with a clear message. Weights live in a sidecar
``<stem>.weights.safetensors`` so the project stays small, diffable text.

Loading validates everything before building objects and names the field that is wrong
(``graph.nodes[2].type``); it never writes. Saving goes through a temporary file in the same
directory and ``os.replace``, so a crash or a failing write leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurocanvas.core.training.trainer import LIVE_SETTINGS, TrainingConfig

FORMAT = "neurocanvas-project"
VERSION = 1
SUFFIX = ".ncproj"


class ProjectError(ValueError):
    """A project file cannot be read or written.

    Attributes
    ----------
    field : str | None
        Dotted path of the offending field (``"graph.nodes[2].type"``), ``None`` when the
        problem is the file as a whole.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message if field is None else f"{message} (field {field})")
        self.message = message
        self.field = field


@dataclass
class Project:
    """What a person saves: everything needed to rebuild the model and train it again."""

    graph: Any  # neurocanvas.core.network.graph.Graph
    dataset_key: str = "sine"
    dataset_params: dict[str, Any] = field(default_factory=dict)
    dataset_seed: int = 0
    config: TrainingConfig = field(default_factory=TrainingConfig)
    view: dict[str, Any] = field(default_factory=dict)
    name: str = "Untitled"

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "graph": self.graph.to_dict(),
            "dataset": {
                "key": self.dataset_key,
                "params": _jsonable(self.dataset_params),
                "seed": self.dataset_seed,
            },
            "training": self.config.to_dict(),
            "view": _jsonable(self.view),
        }


def weights_path(path: str | os.PathLike[str]) -> Path:
    """The sidecar next to a project: ``net.ncproj`` -> ``net.weights.safetensors``."""
    p = Path(path)
    return p.with_name(p.stem + ".weights.safetensors")


def _jsonable(value: Any) -> Any:
    """Tuples become lists and numpy scalars plain numbers, so json.dumps never surprises."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# --------------------------------------------------------------------------- saving
def _atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Write through a temp file in the same directory, then rename over ``path``.

    Same directory, because ``os.replace`` is only atomic within one file system.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_project(
    project: Project,
    path: str | os.PathLike[str],
    weights: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Save ``project`` (and optionally its weights) atomically.

    Raises
    ------
    ProjectError
        When the project cannot be serialised or the file cannot be written; the previous
        file, if any, is left untouched.
    """
    path = Path(path)
    try:
        text = json.dumps(project.to_dict(), indent=2, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"cannot save {path.name}: {exc}") from exc

    def write_json(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    try:
        if weights is not None:
            _atomic_write(weights_path(path), lambda tmp: _write_weights(tmp, weights))
        _atomic_write(path, write_json)
    except OSError as exc:
        raise ProjectError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _write_weights(tmp: str, weights: Mapping[str, np.ndarray]) -> None:
    # safetensors: the de-facto standard weight format, zero-copy to load, no pickle (so
    # opening a stranger's file cannot run code), and PyTorch reads it directly.
    from safetensors.numpy import save_file

    arrays = {k: np.ascontiguousarray(np.asarray(v)) for k, v in weights.items()}
    save_file(arrays, tmp, metadata={"format": FORMAT})


# --------------------------------------------------------------------------- loading
def load_project(path: str | os.PathLike[str]) -> tuple[Project, dict[str, np.ndarray] | None]:
    """Read a project and its weights sidecar (``None`` when there is none).

    Raises
    ------
    ProjectError
        Naming the problem and the field: not JSON (with line and column), truncated, not a
        NeuroCanvas project, made by a newer NeuroCanvas, a missing or invalid field, an
        unknown layer type or data set, or a damaged weights file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"cannot read {path}: {exc.strerror or exc}") from exc
    data = _parse_json(raw, path.name)
    project = _project_from_dict(data)
    sidecar = weights_path(path)
    weights = _read_weights(sidecar) if sidecar.exists() else None
    return project, weights


def _parse_json(raw: bytes, name: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"{name} is not a NeuroCanvas project: not a text file (byte {exc.start})"
        ) from exc
    if not text.strip():
        raise ProjectError(f"{name} is empty (truncated?)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text[exc.pos :].strip():
            raise ProjectError(
                f"{name} is truncated: the JSON ends early at line {exc.lineno}, column {exc.colno}"
            ) from exc
        raise ProjectError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProjectError(f"{name} is not a NeuroCanvas project (no format marker {FORMAT!r})")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProjectError(f"version must be a whole number >= 1, got {version!r}", "version")
    if version > VERSION:
        raise ProjectError(
            f"{name} was made by a newer NeuroCanvas (file version {version}; this version "
            f"reads up to {VERSION}). Update NeuroCanvas to open it.",
            "version",
        )
    return data


class _Reader:
    """Typed access to nested JSON that names the field path in every error."""

    def __init__(self, value: Any, where: str) -> None:
        self.value = value
        self.where = where

    def _path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.where}[{key}]"
        return f"{self.where}.{key}" if self.where else key

    def obj(self, key: str, optional: bool = False) -> _Reader:
        v = self.value.get(key, {} if optional else None)
        if not isinstance(v, dict):
            raise ProjectError(self._describe(v, "an object"), self._path(key))
        return _Reader(v, self._path(key))

    def list(self, key: str) -> list[_Reader]:
        v = self.value.get(key)
        if not isinstance(v, list):
            raise ProjectError(self._describe(v, "a list"), self._path(key))
        return [_Reader(item, self._path(key) + f"[{i}]") for i, item in enumerate(v)]

    def get(self, key: str, kinds: type | tuple[type, ...], what: str, default: Any = ...) -> Any:
        if key not in self.value:
            if default is not ...:
                return default
            raise ProjectError(f"missing {what}", self._path(key))
        v = self.value[key]
        if isinstance(v, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
            raise ProjectError(self._describe(v, what), self._path(key))
        if not isinstance(v, kinds):
            raise ProjectError(self._describe(v, what), self._path(key))
        return v

    @staticmethod
    def _describe(v: Any, what: str) -> str:
        if v is None:
            return f"missing (expected {what})"
        return f"must be {what}, got {json.dumps(v)[:40]}"


def _project_from_dict(data: dict[str, Any]) -> Project:
    root = _Reader(data, "")
    name = root.get("name", str, "a text", default="Untitled")
    graph = _graph_from(root.obj("graph"))
    ds = root.obj("dataset")
    key = ds.get("key", str, "a data set name")
    from neurocanvas.core.datasets import DATASETS

    if key not in DATASETS:
        raise ProjectError(f"unknown data set {key!r}; known: {', '.join(DATASETS)}", "dataset.key")
    params = ds.get("params", dict, "an object", default={})
    specs = {spec.name: spec for spec in DATASETS[key].params}
    for name_, value in params.items():
        where = f"dataset.params.{name_}"
        if name_ not in specs:
            raise ProjectError(f"data set {key!r} has no parameter {name_!r}", where)
        try:
            specs[name_].validate(value)
        except ValueError as exc:
            raise ProjectError(str(exc), where) from exc
    seed = ds.get("seed", int, "a whole number", default=0)
    config = _config_from(root.obj("training", optional=True))
    view = root.get("view", dict, "an object", default={})
    return Project(
        graph=graph,
        dataset_key=key,
        dataset_params=dict(params),
        dataset_seed=seed,
        config=config,
        view=dict(view),
        name=name,
    )


def _config_from(r: _Reader) -> TrainingConfig:
    known = TrainingConfig.field_names()
    for key in r.value:
        if key not in known:
            raise ProjectError(
                f"unknown training setting {key!r}; known: {', '.join(known)}", f"training.{key}"
            )
    defaults = TrainingConfig()
    values: dict[str, Any] = {}
    for key in known:
        default = getattr(defaults, key)
        if isinstance(default, str):
            kinds: tuple[type, ...] = (str,)
            what = "a text"
        elif isinstance(default, int):
            kinds, what = (int,), "a whole number"
        else:
            kinds, what = (int, float), "a number"
        values[key] = r.get(key, kinds, what, default=default)
    # validate one field at a time so the error names the field
    config = TrainingConfig(**values)
    for key in (*LIVE_SETTINGS, "epochs", "seed", "device"):
        try:
            TrainingConfig(**{**defaults.to_dict(), key: values[key]}).validate()
        except ValueError as exc:
            raise ProjectError(str(exc), f"training.{key}") from exc
    return config.validate()


def _graph_from(r: _Reader) -> Any:
    """Check the graph's JSON field by field, then let ``Graph.from_dict`` build it."""
    from neurocanvas.core.network.catalogue import LAYERS
    from neurocanvas.core.network.graph import Graph

    ids: set[str] = set()
    for node in r.list("nodes"):
        if not isinstance(node.value, dict):
            raise ProjectError("must be an object", node.where)
        node_id = node.get("id", str, "a text id")
        if node_id in ids:
            raise ProjectError(f"duplicate node id {node_id!r}", f"{node.where}.id")
        ids.add(node_id)
        type_ = node.get("type", str, "a layer type")
        if type_ not in LAYERS:
            raise ProjectError(
                f"unknown layer type {type_!r}; known: {', '.join(LAYERS)}", f"{node.where}.type"
            )
        node.get("name", str, "a text")
        params = node.get("params", dict, "an object", default={})
        specs = {p.name: p for p in LAYERS[type_].params}
        for key, value in params.items():
            if key not in specs:
                raise ProjectError(
                    f"{type_} has no parameter {key!r}", f"{node.where}.params.{key}"
                )
            try:
                specs[key].validate(value)
            except ValueError as exc:
                raise ProjectError(str(exc), f"{node.where}.params.{key}") from exc
        pos = node.get("pos", list, "a list [x, y]", default=[0, 0])
        if len(pos) != 2 or not all(
            isinstance(c, (int, float)) and not isinstance(c, bool) for c in pos
        ):
            raise ProjectError(f"must be a list [x, y], got {json.dumps(pos)}", f"{node.where}.pos")
    for edge in r.list("edges"):
        if not isinstance(edge.value, dict):
            raise ProjectError("must be an object", edge.where)
        for end in ("src", "dst"):
            ref = edge.get(end, str, "a node id")
            if ref not in ids:
                raise ProjectError(f"refers to no node {ref!r}", f"{edge.where}.{end}")
        edge.get("src_port", str, "a port name", default="out")
        edge.get("dst_port", str, "a port name", default="in")
    try:
        return Graph.from_dict(r.value)
    except (ValueError, KeyError, TypeError) as exc:
        raise ProjectError(f"invalid graph: {exc}", "graph") from exc


def _read_weights(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    try:
        return dict(load_file(str(path)))
    except Exception as exc:  # safetensors raises its own error types for damaged headers
        raise ProjectError(
            f"the weights file {path.name} is damaged or not a safetensors file ({exc})",
            "weights",
        ) from exc
