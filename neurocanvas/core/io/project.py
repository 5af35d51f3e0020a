"""Project files (``.ncproj``): a graph, its data set, training settings and view hints.

The file is JSON with a format marker and version so that a future NeuroCanvas can read old
files and this one can refuse newer ones with a clear message. Weights live in a sidecar
file next to the project so the project stays small, diffable text.

Loading is a transaction: the whole file is parsed and checked (every number against its
limit in :mod:`neurocanvas.core.io.limits`) before any object is built, and every refusal is
a :class:`ProjectError` naming the field, whatever Python raised underneath. It never writes.

Saving a project and its weights is all-or-nothing as a pair. The weights go to a new,
versioned file (``net.weights-<token>.safetensors``) that the project names in its
``weights`` field; the project is renamed into place last, which is the one atomic switch from
the old pair to the new; only then is the old weights file removed. A failure at any point
leaves the old project pointing at its old, untouched weights. Files written before the
``weights`` field existed use the fixed sidecar ``<stem>.weights.safetensors``, still read.

Length: over ~400 lines because reading (every field checked against its limit) and the all-or-
nothing save are the two halves of one file format and share its field names; limits and atomic
writes already live in ``limits.py`` and ``atomic.py``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurocanvas.core.io import atomic, limits
from neurocanvas.core.io.export.weights import WeightsError, check_weight_values
from neurocanvas.core.training import LIVE_SETTINGS, TrainingConfig
from neurocanvas.core.training.runs import MAX_RUNS, RunRecord

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
    runs: list[RunRecord] = field(default_factory=list)  # the runs table (training/runs.py)
    # What the reader wants a person to know but that did not stop the file from opening
    # ("the weights file is damaged; opened without weights"). Never saved.
    notices: list[str] = field(default_factory=list, compare=False)
    #: the data set's Preprocessing.to_dict() when the weights were saved (None: not known);
    #: the saved weights expect inputs mapped with exactly these numbers
    preprocessing: dict[str, Any] | None = None

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
                **({"preprocessing": self.preprocessing} if self.preprocessing else {}),
            },
            "training": self.config.to_dict(),
            "view": _jsonable(self.view),
            **({"runs": [_jsonable(r.to_dict()) for r in self.runs]} if self.runs else {}),
        }


def weights_path(path: str | os.PathLike[str]) -> Path:
    """The fixed sidecar of projects saved before the ``weights`` field:
    ``net.ncproj`` -> ``net.weights.safetensors`` (read, never written now)."""
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
_WEIGHTS_NAME = re.compile(r"^(?P<stem>.+)\.weights(-[0-9a-f]{8,32})?\.safetensors$")


def _owned_weights_file(project_path: Path, name: Any) -> Path | None:
    """The weights file ``name`` beside ``project_path`` if a save of that project could have
    made it (``<stem>.weights[-token].safetensors``); None otherwise, so a hand-edited
    ``weights`` field can never make a save delete an unrelated file."""
    if not isinstance(name, str) or Path(name).name != name:
        return None
    match = _WEIGHTS_NAME.match(name)
    if match is None or match.group("stem") != project_path.stem:
        return None
    return project_path.with_name(name)


def weights_file(path: str | os.PathLike[str]) -> Path | None:
    """The weights file the project saved at ``path`` names (None: it has none)."""
    path = atomic.real_target(path)
    try:
        data = limits.parse_json(path.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return weights_path(path) if weights_path(path).exists() else None
    if not isinstance(data, dict):
        return None
    if "weights" not in data:  # written before versioned names: the fixed sidecar
        return weights_path(path) if weights_path(path).exists() else None
    return _owned_weights_file(path, data["weights"])


def save_project(
    project: Project,
    path: str | os.PathLike[str],
    weights: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Save ``project`` (and optionally its weights) as one all-or-nothing step.

    Steps, in order: (1) write the weights to a new versioned file, (2) write the project,
    naming that file, to a temporary file and rename it over ``path`` (the switch), (3) remove
    the weights file the previous project named. A failure in (1) or (2) removes what was
    new and leaves the old pair; a failure in (3) leaves a stale file, never a broken pair.
    ``path`` may be a symlink: the file it points to is updated.

    Raises
    ------
    ProjectError
        When the project cannot be serialised, the weights hold NaN or infinity (named), or a
        file cannot be written; the previous files are left untouched.
    """
    path = atomic.real_target(path)
    new_weights: Path | None = None
    if weights is not None:
        try:
            check_weight_values(weights, source="the weights to save")
        except WeightsError as exc:
            raise ProjectError(f"cannot save {path.name}: {exc}", "weights") from exc
        new_weights = path.with_name(f"{path.stem}.weights-{secrets.token_hex(8)}.safetensors")
    data = project.to_dict()
    if new_weights is not None:  # without: no field (a save also removes any old sidecar)
        data["weights"] = new_weights.name
    try:
        data["dataset"]["params"] = relative_data_paths(data["dataset"], path)
        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"cannot save {path.name}: {exc}") from exc

    def write_json(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    try:
        previous = weights_file(path) if path.exists() else None
        if new_weights is not None and weights is not None:
            atomic.atomic_write(new_weights, lambda tmp: _write_weights(tmp, weights))
        atomic.atomic_write(path, write_json)
    except BaseException as exc:
        if new_weights is not None:
            atomic.remove_quietly(new_weights)
        if isinstance(exc, OSError):
            raise ProjectError(f"cannot write {path}: {exc.strerror or exc}") from exc
        if isinstance(exc, Exception):  # safetensors reports a failed write its own way
            raise ProjectError(f"cannot write {path}: {exc}") from exc
        raise
    if previous is not None and previous != new_weights:
        atomic.remove_quietly(previous)


def _write_weights(tmp: str, weights: Mapping[str, np.ndarray]) -> None:
    # safetensors: the de-facto standard weight format, zero-copy to load, no pickle (so
    # opening a stranger's file cannot run code), and PyTorch reads it directly.
    from safetensors.numpy import save_file

    arrays = {k: np.ascontiguousarray(np.asarray(v)) for k, v in weights.items()}
    save_file(arrays, tmp, metadata={"format": FORMAT})


# --------------------------------------------------------------------------- loading
def load_project(path: str | os.PathLike[str]) -> tuple[Project, dict[str, np.ndarray] | None]:
    """Read a project and its weights (``None`` when it has none).

    A weights file that is missing, damaged or holds NaN/infinity does not stop the project
    from opening: the weights are ``None`` and ``project.notices`` says why.

    Raises
    ------
    ProjectError
        Naming the problem and the field: not JSON (with line and column), truncated, not a
        NeuroCanvas project, made by a newer NeuroCanvas, a missing or invalid field, a
        number beyond its limit, an unknown layer type or data set. No other exception
        escapes for any file content.
    """
    path = atomic.real_target(path)
    try:
        if path.stat().st_size > limits.MAX_FILE_BYTES:
            raise ProjectError(
                f"{path.name} is {path.stat().st_size:,} bytes; a project file is at most "
                f"{limits.MAX_FILE_BYTES:,} bytes"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"cannot read {path}: {exc.strerror or exc}") from exc
    data = _parse_json(raw, path.name)
    try:
        project = _project_from_dict(data)
    except ProjectError:
        raise
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError) as exc:
        # a check above missed a case: still one error type, with the reason
        raise ProjectError(f"{path.name} is not a valid project: {exc}") from exc
    project.dataset_params = resolved_data_paths(project.dataset_key, project.dataset_params, path)
    weights = _read_project_weights(path, data, project.notices)
    return project, weights


def _read_project_weights(
    path: Path, data: dict[str, Any], notices: list[str]
) -> dict[str, np.ndarray] | None:
    if "weights" in data:
        name = data["weights"]
        if name is None:
            return None
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
            notices.append(
                f"the weights field {json.dumps(name)[:60]} is not a file name beside the "
                "project; the project opened without weights"
            )
            return None
        sidecar = path.with_name(name)
        if not sidecar.exists():
            notices.append(f"the weights file {name} is missing; the project opened without them")
            return None
    else:
        sidecar = weights_path(path)
        if not sidecar.exists():
            return None
    try:
        return _read_weights(sidecar)
    except ProjectError as exc:
        notices.append(f"{exc.message}; the project opened without weights")
        return None


def _parse_json(raw: bytes, name: str) -> dict[str, Any]:
    try:
        # utf-8-sig: a byte order mark (Windows Notepad writes one) is not part of the JSON
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"{name} is not a NeuroCanvas project: not a text file (byte {exc.start})"
        ) from exc
    if not text.strip():
        raise ProjectError(f"{name} is empty (truncated?)")
    try:
        data = limits.parse_json(text)
    except json.JSONDecodeError as exc:
        if not text[exc.pos :].strip():
            raise ProjectError(
                f"{name} is truncated: the JSON ends early at line {exc.lineno}, column {exc.colno}"
            ) from exc
        raise ProjectError(
            # json's own wording may end in "at" ("Unterminated string starting at")
            f"{name} is not valid JSON: {exc.msg.removesuffix(' at')} at line {exc.lineno}, "
            f"column {exc.colno}"
        ) from exc
    except (ValueError, RecursionError) as exc:  # LimitError, or the decoder's own limits
        raise ProjectError(f"{name} cannot be read: {exc}") from exc
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
        if isinstance(v, str) and len(v) > limits.MAX_TEXT:
            raise ProjectError(
                f"is {len(v):,} characters long; the limit is {limits.MAX_TEXT:,}", self._path(key)
            )
        return v

    def limited(self, key: str, check: Callable[[Any], Any], default: Any) -> Any:
        """``check(value)`` (a function of :mod:`limits`), its LimitError naming the field."""
        try:
            return check(self.value.get(key, default))
        except limits.LimitError as exc:
            raise ProjectError(str(exc), self._path(key)) from exc

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
        if isinstance(value, str) and len(value) > limits.MAX_TEXT:
            raise ProjectError(f"is longer than {limits.MAX_TEXT:,} characters", where)
        try:
            specs[name_].validate(value)
        except ValueError as exc:
            raise ProjectError(str(exc), where) from exc
    seed = ds.limited("seed", lambda v: limits.check_seed(v, "the data set's seed"), 0)
    preprocessing = ds.get("preprocessing", dict, "an object", default=None)
    if preprocessing is not None:
        from neurocanvas.core.datasets.preprocessing import Preprocessing, PreprocessingError

        try:
            Preprocessing.from_dict(preprocessing)
        except PreprocessingError as exc:
            raise ProjectError(str(exc), "dataset.preprocessing") from exc
    config = _config_from(root.obj("training", optional=True))
    view = root.get("view", dict, "an object", default={})
    runs = _runs_from(root.get("runs", list, "a list of runs", default=[]))
    return Project(
        graph=graph,
        dataset_key=key,
        dataset_params=dict(params),
        dataset_seed=seed,
        config=config,
        view=dict(view),
        name=name,
        preprocessing=preprocessing,
        runs=runs,
    )


def _runs_from(items: list[Any]) -> list[RunRecord]:
    if len(items) > MAX_RUNS:
        raise ProjectError(f"has {len(items):,} runs; the limit is {MAX_RUNS:,}", "runs")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(RunRecord.from_dict(item))
        except ValueError as exc:
            raise ProjectError(str(exc), f"runs[{i}]") from None
    return out


_CONFIG_LIMITS: dict[str, Callable[[Any], Any]] = {
    "epochs": lambda v: limits.check_count(v, "epochs", limits.MAX_EPOCHS),
    "batch_size": lambda v: limits.check_count(v, "batch_size", limits.MAX_BATCH_SIZE),
    "seed": lambda v: limits.check_seed(v),
}


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
    # the trainer accepts any size; a file may not ask for more than the limits
    for key, check in _CONFIG_LIMITS.items():
        if key in values:
            r.limited(key, check, values[key])
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
    nodes, edges = r.list("nodes"), r.list("edges")
    for what, items, most in (
        ("nodes", nodes, limits.MAX_NODES),
        ("edges", edges, limits.MAX_EDGES),
    ):
        if len(items) > most:
            raise ProjectError(
                f"the graph has {len(items):,} {what}; the limit is {most:,}", f"graph.{what}"
            )
    for node in nodes:
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
                if specs[key].kind == "shape":
                    limits.check_shape(value, key)
                specs[key].validate(value)
            except ValueError as exc:
                raise ProjectError(str(exc), f"{node.where}.params.{key}") from exc
        node.limited("pos", limits.check_position, [0, 0])
    for edge in edges:
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
        weights = dict(load_file(str(path)))
    except Exception as exc:  # safetensors raises its own error types for damaged headers
        raise ProjectError(
            f"the weights file {path.name} is damaged or not a safetensors file ({exc})",
            "weights",
        ) from exc
    try:
        check_weight_values(weights, source=path.name)
    except WeightsError as exc:
        raise ProjectError(str(exc), "weights") from exc
    return weights


# --------------------------------------------------------------------------- data file paths
# A project names its data files relative to itself when they sit beside or below it, so a
# folder that is moved, zipped or sent to a colleague still finds its data. In memory (and
# for every reader: the data set builders, the CLI, the app) the paths are absolute.


def _path_params(key: Any) -> tuple[str, ...]:
    from neurocanvas.core.datasets import DATASETS

    info = DATASETS.get(key) if isinstance(key, str) else None
    return info.path_params if info is not None else ()


def relative_data_paths(dataset: Mapping[str, Any], project_path: Path) -> dict[str, Any]:
    """``dataset["params"]`` with each data file beside or below ``project_path``'s folder
    written relative to it (with ``/``, so the file reads the same on every system)."""
    params = dict(dataset.get("params", {}))
    folder = Path(os.path.abspath(project_path)).parent
    for name in _path_params(dataset.get("key")):
        value = params.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        target = Path(os.path.abspath(os.path.expanduser(value.strip())))
        try:
            params[name] = target.relative_to(folder).as_posix()
        except ValueError:
            params[name] = str(target)  # elsewhere: an absolute path is the only way to find it
    return params


def resolved_data_paths(
    key: str, params: Mapping[str, Any], project_path: str | os.PathLike[str]
) -> dict[str, Any]:
    """``params`` with each relative data file path made absolute against the project's
    folder (a file saved by an older NeuroCanvas holds absolute paths: they stay)."""
    out = dict(params)
    folder = Path(os.path.abspath(project_path)).parent
    for name in _path_params(key):
        value = out.get(name)
        if isinstance(value, str) and value.strip():
            expanded = Path(os.path.expanduser(value.strip()))
            out[name] = str(expanded if expanded.is_absolute() else folder / expanded)
    return out
