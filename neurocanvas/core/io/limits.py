"""Limits on every number a project file may hold, and JSON parsing that honours them.

A project file comes from anywhere (a mail attachment, a forum post), so nothing in it may
make NeuroCanvas allocate gigabytes, recurse past Python's stack or crash later in the
inspector or the trainer. Each limit is far above anything a person builds by hand here
(the largest shipped example uses 784 inputs and 128 units) and far below what breaks the
program. Messages always state the limit, so a refused file says how to fix it.

The parser never calls ``int()`` on a digit string longer than :data:`MAX_INT_DIGITS`
(Python refuses beyond 4,300 digits with a bare ``ValueError``), turns ``1e999`` and the
non-standard ``NaN``/``Infinity`` literals into a clear refusal instead of ``inf``, and
measures nesting before parsing, because the JSON decoder recurses once per level.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = [
    "LimitError",
    "MAX_DEPTH",
    "MAX_EDGES",
    "MAX_ELEMENTS",
    "MAX_EPOCHS",
    "MAX_BATCH_SIZE",
    "MAX_FILE_BYTES",
    "MAX_INT_DIGITS",
    "MAX_NODES",
    "MAX_POSITION",
    "MAX_SEED",
    "MAX_SIZE",
    "MAX_TEXT",
    "check_count",
    "check_position",
    "check_seed",
    "check_shape",
    "check_whole",
    "parse_json",
]

MAX_FILE_BYTES = 64 * 1024 * 1024  # a project of 10,000 nodes is about 3 MB of JSON
MAX_DEPTH = 32  # the schema nests 6 levels; data set parameters a few more
MAX_INT_DIGITS = 20  # every whole number in the schema fits in 64 bits
MAX_NODES = 10_000
MAX_EDGES = 40_000
MAX_SIZE = 1_000_000  # one dimension of a shape (features, channels, height, width)
MAX_ELEMENTS = 50_000_000  # numbers per sample of one shape (200 MB as float32)
MAX_POSITION = 1e7  # canvas coordinates, in scene pixels
MAX_EPOCHS = 1_000_000
MAX_BATCH_SIZE = 1_000_000
MAX_SEED = 2**32 - 1  # numpy's legacy seeding (and PyTorch's manual_seed on CUDA) take 32 bits
MAX_TEXT = 10_000  # characters in one text field (names, paths, formulas)


class LimitError(ValueError):
    """A value is outside its limit; the message states the limit."""


def _refuse_constant(name: str) -> Any:
    raise LimitError(f"{name} is not a number JSON allows; write a finite number")


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise LimitError(
            f"a whole number with {digits} digits is too large "
            f"(at most {MAX_INT_DIGITS} digits anywhere in a project)"
        )
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise LimitError(f"the number {text[:30]} is too large to represent (limit about 1.8e308)")
    return value


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str) -> int:
    """How deeply ``[`` and ``{`` nest in JSON ``text`` (brackets inside strings ignored)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_json(text: str) -> Any:
    """``json.loads`` within the limits above.

    Raises
    ------
    LimitError
        Nesting deeper than :data:`MAX_DEPTH`, a whole number longer than
        :data:`MAX_INT_DIGITS` digits, a number beyond float range, or NaN/Infinity.
    json.JSONDecodeError
        The text is not JSON (with line and column).
    """
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise LimitError(f"the JSON nests {depth} levels deep; a project nests at most {MAX_DEPTH}")
    return json.loads(
        text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
    )


def check_whole(value: Any, what: str, low: int, high: int) -> int:
    """``value`` as an int in ``[low, high]``, else :class:`LimitError` stating the range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LimitError(f"{what} must be a whole number, got {json.dumps(value)[:40]}")
    if isinstance(value, float) and not value.is_integer():
        raise LimitError(f"{what} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise LimitError(f"{what} must be between {low:,} and {high:,}, got {value:g}")
    return int(value)


def check_seed(value: Any, what: str = "seed") -> int:
    return check_whole(value, what, 0, MAX_SEED)


def check_count(value: Any, what: str, high: int) -> int:
    return check_whole(value, what, 1, high)


def check_position(value: Any) -> tuple[float, float]:
    """A canvas position ``[x, y]`` of finite numbers within :data:`MAX_POSITION`."""
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in value)
    ):
        raise LimitError(f"must be a list [x, y], got {json.dumps(value)[:40]}")
    for c in value:
        if not abs(c) <= MAX_POSITION:
            raise LimitError(
                f"a position must lie within ±{MAX_POSITION:,.0f} pixels, got {float(c):g}"
            )
    return float(value[0]), float(value[1])


def check_shape(value: Any, what: str) -> None:
    """Each size of a shape within :data:`MAX_SIZE`, and their product within
    :data:`MAX_ELEMENTS` (``-1``, Reshape's "infer this size", counts as 1)."""
    if not isinstance(value, (list, tuple)):
        return  # the layer's own validation names the type problem
    total = 1
    for size in value:
        if isinstance(size, (int, float)) and not isinstance(size, bool):
            if abs(size) > MAX_SIZE:
                raise LimitError(f"each size in {what} must be at most {MAX_SIZE:,}, got {size:g}")
            total *= max(1, int(abs(size)))
    if total > MAX_ELEMENTS:
        raise LimitError(
            f"{what} holds {total:,} numbers per sample; the limit is {MAX_ELEMENTS:,}"
        )
