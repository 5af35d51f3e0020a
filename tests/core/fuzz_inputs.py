"""Damaged project, data and weight files, and the oracles that judge how each is handled.

Used by the fuzz tests (``test_fuzz_*.py``) on a fixed seed and count, so CI runs the same
inputs every time; each generator yields ``(kind, payload)`` where ``kind`` names the damage
(a failure class in the report). The oracles return None when the file was handled properly
(refused with the one error type for its format, or accepted and usable afterwards) and a
short failure class otherwise, e.g. ``"escaped OverflowError"``.

These helpers use only the public entry points (``load_project``, ``make_dataset``,
``import_weights``), so the same attack can be run against an older NeuroCanvas to count what
it used to get wrong.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import random
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from neurocanvas.core.io.examples import EXAMPLES_DIR

# Raw JSON tokens put in place of a value: each was (or is like) one that broke a reader.
NASTY_TOKENS = [
    "-1",
    "0",
    "-0.0",
    "1e308",
    "-1e308",
    "1e400",  # beyond float range: inf if read naively
    "18446744073709551616",  # 2**64
    "-9223372036854775809",
    "1" * 5000,  # past Python's 4,300-digit int() limit
    "1" * 400,  # an int too large for a float field
    "1.5",
    "NaN",
    "Infinity",
    "-Infinity",
    "true",
    "null",
    '""',
    '"x"',
    '"' + "a" * 20000 + '"',
    "[]",
    "{}",
    "[1e308, 1e308]",
    "[-5, 7]",
    "[0]",
    "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
    '{"a": 1}',
    "[" * 3000 + "]" * 3000,  # nesting past the decoder's recursion limit
    "[" * 40 + "]" * 40,
]


def example_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES_DIR.glob("*.ncproj"))]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


_MARK = "\x00FUZZ\x00"


def project_mutants(rng: random.Random, count: int) -> Iterator[tuple[str, bytes]]:
    """``count`` damaged project files made from the shipped examples."""
    texts = example_texts()
    for _ in range(count):
        text = rng.choice(texts)
        doc = json.loads(text)
        kind = rng.choice(
            ["token", "token", "token", "token", "delete", "bytes", "bom", "swap", "limits"]
        )
        if kind == "token":
            path = rng.choice(_paths(doc)[1:])
            token = rng.choice(NASTY_TOKENS)
            raw = json.dumps(_set(doc, path, _MARK), indent=1).replace(json.dumps(_MARK), token)
            yield f"token {token[:12]} at {'.'.join(map(str, path[-2:]))}", raw.encode()
        elif kind == "limits":  # a number in a known field pushed to its edges
            field, token = rng.choice(
                [
                    (("training", "epochs"), rng.choice(["1e18", "10000000000", "0", "-3"])),
                    (("training", "batch_size"), rng.choice(["1e12", "99999999999", "0"])),
                    (("training", "seed"), rng.choice(["-1", "4294967296", "1e30"])),
                    (("dataset", "seed"), rng.choice(["-1", "4294967296", "1e30"])),
                    (
                        ("graph", "nodes", 0, "params", "shape"),
                        rng.choice(["[1e308]", "[4294967296]", "[65536, 65536, 65536]"]),
                    ),
                    (("graph", "nodes", 0, "pos"), rng.choice(["[1e308, 0]", "[1e300, -1e300]"])),
                    (("graph", "next_id"), rng.choice(["1e300", "-1", "99999999999999999999"])),
                ]
            )
            try:
                raw = json.dumps(_set(doc, field, _MARK), indent=1).replace(
                    json.dumps(_MARK), token
                )
            except (KeyError, IndexError, TypeError):
                raw = text
            yield f"limit {'.'.join(map(str, field))}={token[:12]}", raw.encode()
        elif kind == "delete":
            path = rng.choice([p for p in _paths(doc)[1:] if isinstance(p[-1], str)] or [()])
            if path:
                parent = doc
                for key in path[:-1]:
                    parent = parent[key]
                del parent[path[-1]]
            yield f"delete {'.'.join(map(str, path[-2:]))}", json.dumps(doc).encode()
        elif kind == "swap":  # one container for the other
            path = rng.choice(_paths(doc)[1:])
            parent = doc
            for key in path:
                parent = parent[key]
            swapped = list(parent.values()) if isinstance(parent, dict) else {"0": parent}
            yield "swap container", json.dumps(_set(doc, path, swapped)).encode()
        elif kind == "bom":
            yield "bom", b"\xef\xbb\xbf" + text.encode()
        else:
            data = bytearray(text.encode())
            how = rng.choice(["truncate", "flip", "insert"])
            at = rng.randrange(len(data))
            if how == "truncate":
                del data[at:]
            elif how == "flip":
                data[at] = rng.randrange(256)
            else:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            yield f"bytes {how}", bytes(data)


def check_project_file(path: Path, kind: str = "") -> str | None:
    """Refused with ProjectError, or opened into something every later step can use."""
    from neurocanvas.core import manual_seed
    from neurocanvas.core.datasets import make_dataset
    from neurocanvas.core.io.project import ProjectError, load_project
    from neurocanvas.core.network.shapes import analyse

    try:
        project, _ = load_project(path)
    except ProjectError:
        return "valid project refused (BOM)" if kind == "bom" else None
    except Exception as exc:  # noqa: BLE001 - what the fuzzer is looking for
        return f"escaped {type(exc).__name__}"
    try:
        project.config.validate()
        manual_seed(project.config.seed)
        np.random.RandomState(project.dataset_seed)
        for node in project.graph.nodes.values():
            if not all(math.isfinite(c) and abs(c) <= 1e7 for c in node.pos):
                return "position beyond the canvas"
            for value in node.params.values():
                if isinstance(value, tuple) and math.prod(abs(v) for v in value) > 50_000_000:
                    return "shape beyond the limit"
        config = project.config
        if config.epochs > 1_000_000 or config.batch_size > 1_000_000:
            return "epochs or batch size beyond the limit"
        json.dumps(project.to_dict(), allow_nan=False)
        report = analyse(project.graph)
        if report.total_params > 1e12:
            return "absurd parameter count accepted"
        try:
            make_dataset(project.dataset_key, project.dataset_params, seed=project.dataset_seed)
        except ValueError:
            pass  # a data set that cannot be built is shown in the panel: allowed
    except Exception as exc:  # noqa: BLE001
        return f"opened, then {type(exc).__name__}"
    return None


# --------------------------------------------------------------------------- data files
def _idx(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    head = struct.pack(">I", magic)
    head = head[:3] + bytes([len(dims)])
    return head + b"".join(struct.pack(">I", d) for d in dims) + payload


_BOMB: list[bytes] = []


def _bomb() -> bytes:
    """160 kB of gzip that inflates to 160 MB and whose header claims 3.9 GB of pixels."""
    if not _BOMB:
        _BOMB.append(gzip.compress(_idx(2051, (60000, 256, 256), b"") + bytes(160 * 1024**2), 1))
    return _BOMB[0]


def idx_mutants(rng: random.Random, count: int) -> Iterator[tuple[str, str, bytes, bytes]]:
    """(kind, which file is damaged, images bytes, labels bytes)."""
    n, h, w = 12, 5, 4
    pixels = bytes(rng.randrange(256) for _ in range(n * h * w))
    labels = bytes(rng.randrange(10) for _ in range(n))
    good_images, good_labels = _idx(2051, (n, h, w), pixels), _idx(2049, (n,), labels)
    bomb = _bomb()
    for _ in range(count):
        kind = rng.choice(["dims", "dims", "truncate", "flip", "magic", "gzip", "bomb", "labels"])
        images, lab = good_images, good_labels
        if kind == "dims":
            dims = tuple(
                rng.choice([0, 1, 7, 65535, 2**31, 2**32 - 1]) for _ in range(rng.randint(0, 5))
            )
            images = _idx(2051, dims, pixels)
        elif kind == "truncate":
            images = images[: rng.randrange(len(images))]
        elif kind == "flip":
            data = bytearray(images)
            data[rng.randrange(16)] = rng.randrange(256)
            images = bytes(data)
        elif kind == "magic":
            images = _idx(rng.choice([2049, 0, 2052, 0x0D03]), (n, h, w), pixels)
        elif kind == "gzip":
            packed = gzip.compress(images)
            images = packed[: rng.randrange(2, len(packed))]
        elif kind == "bomb":
            images = bomb
        else:
            lab = _idx(2049, (n,), bytes(rng.choice([10, 255, 3]) for _ in range(n)))
        yield kind, "images", images, lab


def check_idx_files(folder: Path, images: bytes, labels: bytes) -> str | None:
    from neurocanvas.core.datasets import DatasetError, make_dataset

    ip, lp = folder / "images.idx", folder / "labels.idx"
    ip.write_bytes(images)
    lp.write_bytes(labels)
    params = {"images_path": str(ip), "labels_path": str(lp), "variant": "MNIST", "max_samples": 0}
    try:
        ds = make_dataset("mnist", params, seed=0)
    except DatasetError:
        return None
    except MemoryError:
        return "MemoryError (inflated before checking)"
    except Exception as exc:  # noqa: BLE001
        return f"escaped {type(exc).__name__}"
    x = ds.train_x if hasattr(ds, "train_x") else None
    if x is not None and not np.isfinite(np.asarray(x)).all():
        return "non-finite images"
    return None


def csv_mutants(rng: random.Random, count: int) -> Iterator[tuple[str, bytes, dict[str, Any]]]:
    cells = ["1", "2.5", "-3", "", "nan", "inf", "-inf", "1e400", "abc", '"q,uoted"', "NA", "7"]
    for _ in range(count):
        cols = rng.choice([1, 2, 3, 5, 400])
        rows = rng.choice([0, 1, 2, 5, 30])
        header = [rng.choice([f"c{i}", f"c{i}", "", "c0", "1.5"]) for i in range(cols)]
        lines = [",".join(header)]
        for _ in range(rows):
            width = cols if rng.random() < 0.9 else rng.randint(0, cols + 2)
            lines.append(",".join(rng.choice(cells) for _ in range(width)))
        data = ("\n".join(lines) + "\n").encode()
        kind = "csv"
        if rng.random() < 0.1:
            data, kind = b"\xef\xbb\xbf" + data, "csv bom"
        if rng.random() < 0.05:
            data, kind = data[:-3] + b"\xff\xfe\x00", "csv bad utf-8"
        params = {
            "feature_columns": rng.choice(["", "c0", "c1, c1", "nope", "c0,c2"]),
            "target_column": rng.choice(["", "c1", "c0", "zz", "c0,c1"]),
            "task": rng.choice(["regression", "classification"]),
            "standardize": rng.random() < 0.5,
        }
        yield kind, data, params


def check_csv_file(path: Path, data: bytes, params: dict[str, Any]) -> str | None:
    from neurocanvas.core.datasets import DatasetError, make_dataset

    path.write_bytes(data)
    try:
        ds = make_dataset("csv", {**params, "path": str(path)}, seed=0)
    except DatasetError:
        return None
    except Exception as exc:  # noqa: BLE001
        return f"escaped {type(exc).__name__}"
    spec = ds.data_spec()
    if spec.n_outputs < 1:
        return "a data set without outputs"
    return None


# --------------------------------------------------------------------------- weight files
def weight_mutants(
    rng: random.Random, reference: dict[str, np.ndarray], count: int
) -> Iterator[tuple[str, str, bytes]]:
    """(kind, suffix, file bytes) made from a model's ``state_dict``."""
    from safetensors.numpy import save

    floats = [k for k, v in reference.items() if v.dtype.kind == "f"]
    for _ in range(count):
        state = {k: v.copy() for k, v in reference.items()}
        kind = rng.choice(
            ["nan", "inf", "huge", "dtype", "dtype", "var", "shape", "keys", "bytes", "ok"]
        )
        key = rng.choice(floats)
        if kind == "nan":
            state[key].flat[rng.randrange(state[key].size)] = np.nan
        elif kind == "inf":
            state[key][...] = rng.choice([np.inf, -np.inf])
        elif kind == "huge":
            state[key] = state[key].astype(np.float64)
            state[key].flat[0] = rng.choice([1e300, -1e39, 3.5e38])
        elif kind == "dtype":
            dtype = rng.choice(
                ["int64", "int8", "uint8", "bool", "float16", "complex64", "U3", "rec"]
            )
            kind = f"dtype {dtype}"
            if dtype == "rec":
                arr = np.zeros(state[key].shape, dtype=[("a", "f4"), ("b", "i4")])
            else:
                arr = state[key].astype(dtype)
            state[key] = arr
        elif kind == "var":
            var = [k for k in state if k.endswith("running_var")]
            if var:
                state[var[0]][...] = -1.0
        elif kind == "shape":
            state[key] = np.zeros((*state[key].shape, 2), np.float32)
        elif kind == "keys":
            if rng.random() < 0.5:
                del state[key]
            else:
                state["extra.weight"] = np.zeros(3, np.float32)
        suffix = rng.choice([".safetensors", ".npz"])
        try:
            if suffix == ".safetensors":
                raw = save(state)
            else:
                buf = io.BytesIO()
                np.savez(buf, **state)
                raw = buf.getvalue()
        except Exception:  # noqa: BLE001 - safetensors cannot hold complex, text or records
            suffix = ".npz"
            buf = io.BytesIO()
            np.savez(buf, **state)
            raw = buf.getvalue()
        if kind == "bytes":
            data = bytearray(raw)
            at = rng.randrange(len(data))
            if rng.random() < 0.5:
                del data[at:]
            else:
                data[at] = rng.randrange(256)
            raw = bytes(data)
        yield kind, suffix, raw
    # an npz whose one member inflates to 2 GiB (a few MB on disk)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f4", "fortran_order": False, "shape": (2**29,)}
        )
        with archive.open(f"{floats[0]}.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            chunk = bytes(1 << 20)
            for _ in range(8):
                member.write(chunk)
    yield "npz claiming 2 GiB", ".npz", buf.getvalue()


def check_weight_import(model: Any, path: Path) -> str | None:
    """Refused with WeightsError leaving the model as it was, or loaded finite and usable."""
    from neurocanvas.core import Tensor, no_grad
    from neurocanvas.core.io.export import WeightsError, import_weights

    before = {k: v.copy() for k, v in model.state_dict().items()}
    try:
        import_weights(model, path)
    except WeightsError:
        after = model.state_dict()
        if any(not np.array_equal(before[k], after[k]) for k in before):
            return "refused but the model changed"
        return None
    except Exception as exc:  # noqa: BLE001
        return f"escaped {type(exc).__name__}"
    state = model.state_dict()
    for k, v in state.items():
        if v.dtype != before[k].dtype:
            return "dtype changed"
        if v.dtype.kind == "f" and not np.isfinite(v).all():
            return "non-finite weights accepted"
        if k.endswith("running_var") and (v < 0).any():
            return "negative variance accepted"
    model.eval()
    with no_grad():
        out = model(Tensor(np.ones((2, *model.input_shape), np.float32))).detach().numpy()
    model.load_state_dict(before)
    if not np.isfinite(out).all():
        return "loaded weights compute NaN"
    return None
