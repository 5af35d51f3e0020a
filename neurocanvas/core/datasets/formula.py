"""A safe parser for formulas over ``x`` typed by a person, e.g. ``3*x^2 - sin(pi*x)``.

The text is tokenized and parsed by precedence climbing into a flat postfix program that a
small stack machine runs on numpy arrays. Nothing here ever calls ``eval``, ``compile`` or
``exec``: the only names that mean anything are ``x``, the constants ``pi`` and ``e`` and the
functions in ``FUNCTIONS``, so a formula cannot reach Python objects.

Grammar (``^`` is right-associative and binds tighter than unary minus, as in mathematics,
so ``-x^2`` is ``-(x^2)`` and ``2^-x`` is ``2^(-x)``)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | power
    power   := primary ("^" unary)?
    primary := NUMBER | "x" | "pi" | "e" | FUNC "(" expr ")" | "(" expr ")"
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

__all__ = ["FUNCTIONS", "CONSTANTS", "MAX_LENGTH", "MAX_DEPTH", "Formula", "FormulaError"]

#: What the evaluator's stack holds: the variable's array or a number from the formula.
_Value = np.ndarray | float

FUNCTIONS: dict[str, Callable[[_Value], np.ndarray]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "abs": np.abs,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
}
CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}
VARIABLE = "x"

#: Longest formula accepted; a person never needs more and it bounds parse time.
MAX_LENGTH = 500
#: Deepest nesting of parentheses, functions, signs and powers; keeps the parser's recursion
#: far below Python's limit so deep input gets a clear error instead of a RecursionError.
MAX_DEPTH = 60

_BINARY: dict[str, Callable[[_Value, _Value], np.ndarray]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "^": np.power,
}

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op>\*\*|[-+*/^()])"
)


class FormulaError(ValueError):
    """A formula that does not fit the grammar; ``column`` is 1-based (None: whole formula)."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class _Token:
    kind: str  # "num" "name" "op" "end"
    text: str
    column: int  # 1-based


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            raise FormulaError(f"unexpected character {ch!r} at column {pos + 1}", pos + 1)
        kind = m.lastgroup or ""
        if kind == "op" and m.group() == "**":
            raise FormulaError(f"unexpected '**' at column {pos + 1} — use ^ for powers", pos + 1)
        if kind != "ws":
            tokens.append(_Token(kind, m.group(), pos + 1))
        pos = m.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


# Program instructions: ("num", value) ("x", None) ("fn", name) ("neg", None) ("bin", op)
_Instr = tuple[str, object]


class _Parser:
    """Precedence climbing over the token list, emitting postfix instructions."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.program: list[_Instr] = []
        self.depth = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def _unexpected(self, tok: _Token) -> FormulaError:
        if tok.kind == "end":
            return FormulaError(f"unexpected end of formula at column {tok.column}", tok.column)
        return FormulaError(f"unexpected {tok.text!r} at column {tok.column}", tok.column)

    def _enter(self, tok: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(
                f"formula nests too deeply at column {tok.column} (at most {MAX_DEPTH} levels)",
                tok.column,
            )

    def parse(self) -> list[_Instr]:
        self.expr()
        if self.tok.kind != "end":
            tok = self.tok
            prev = self.tokens[self.i - 1]
            if tok.kind in ("name", "num") or tok.text == "(":
                if prev.kind in ("num", "name") or prev.text == ")":
                    raise FormulaError(
                        f"unexpected {tok.text!r} at column {tok.column} — "
                        f"write * for a product, e.g. 2*x",
                        tok.column,
                    )
            raise self._unexpected(tok)
        return self.program

    def expr(self) -> None:
        self.term()
        while self.tok.text in ("+", "-") and self.tok.kind == "op":
            op = self.tok.text
            self.i += 1
            self.term()
            self.program.append(("bin", op))

    def term(self) -> None:
        self.unary()
        while self.tok.text in ("*", "/") and self.tok.kind == "op":
            op = self.tok.text
            self.i += 1
            self.unary()
            self.program.append(("bin", op))

    def unary(self) -> None:
        tok = self.tok
        if tok.kind == "op" and tok.text in ("-", "+"):
            self._enter(tok)
            self.i += 1
            self.unary()
            if tok.text == "-":
                self.program.append(("neg", None))
            self.depth -= 1
        else:
            self.power()

    def power(self) -> None:
        self.primary()
        tok = self.tok
        if tok.kind == "op" and tok.text == "^":
            self._enter(tok)
            self.i += 1
            self.unary()  # right-assoc: x^y^z = x^(y^z); allows x^-2
            self.program.append(("bin", "^"))
            self.depth -= 1

    def primary(self) -> None:
        tok = self.tok
        if tok.kind == "num":
            value = float(tok.text)
            if not np.isfinite(value):
                raise FormulaError(
                    f"number {tok.text!r} at column {tok.column} is too large", tok.column
                )
            self.program.append(("num", value))
            self.i += 1
        elif tok.kind == "name":
            self._name(tok)
        elif tok.kind == "op" and tok.text == "(":
            self._enter(tok)
            self.i += 1
            self.expr()
            self._expect_close(tok)
            self.depth -= 1
        else:
            raise self._unexpected(tok)

    def _name(self, tok: _Token) -> None:
        name = tok.text
        followed_by_paren = self.tokens[self.i + 1].text == "("
        if name in FUNCTIONS:
            if not followed_by_paren:
                raise FormulaError(
                    f"function '{name}' at column {tok.column} needs parentheses: {name}(x)",
                    tok.column,
                )
            self._enter(tok)
            self.i += 2
            self.expr()
            self._expect_close(self.tokens[self.i - 1], opened_by=tok)
            self.program.append(("fn", name))
            self.depth -= 1
            return
        if followed_by_paren:
            if name == VARIABLE or name in CONSTANTS:
                raise FormulaError(
                    f"'{name}' at column {tok.column} is not a function — write * for a product",
                    tok.column,
                )
            known = ", ".join(FUNCTIONS)
            raise FormulaError(
                f"unknown function '{name}' at column {tok.column} (known: {known})", tok.column
            )
        if name == VARIABLE:
            self.program.append(("x", None))
        elif name in CONSTANTS:
            self.program.append(("num", CONSTANTS[name]))
        else:
            raise FormulaError(f"unknown name '{name}' at column {tok.column} — use x", tok.column)
        self.i += 1

    def _expect_close(self, open_tok: _Token, opened_by: _Token | None = None) -> None:
        tok = self.tok
        if tok.kind == "op" and tok.text == ")":
            self.i += 1
            return
        if tok.kind == "end":
            where = (opened_by or open_tok).column
            raise FormulaError(f"missing ')' for the '(' opened at column {where}", tok.column)
        raise self._unexpected(tok)


class Formula:
    """A parsed formula over ``x``; call it on a numpy array to evaluate it element-wise.

    Evaluation never warns: NaN or inf (e.g. ``log(x)`` at negative x) come back in the result
    so that the caller can say where the formula is undefined.
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise FormulaError(f"a formula must be text, got {type(text).__name__}")
        if len(text) > MAX_LENGTH:
            raise FormulaError(
                f"formula is too long ({len(text)} characters; at most {MAX_LENGTH})"
            )
        if not text.strip():
            raise FormulaError("formula is empty — type an expression in x, e.g. 2*x + 1")
        self.text = text
        self._program = tuple(_Parser(_tokenize(text)).parse())

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Evaluate at ``x`` (any shape) in float64; the result has the shape of ``x``."""
        x = np.asarray(x, dtype=np.float64)
        # A flat stack machine: no recursion, so any accepted formula evaluates safely.
        stack: list[_Value] = []
        with np.errstate(all="ignore"):
            for op, arg in self._program:
                if op == "num":
                    stack.append(cast(float, arg))  # the parser's num carries a float
                elif op == "x":
                    stack.append(x)
                elif op == "neg":
                    stack.append(np.negative(stack.pop()))
                elif op == "fn":
                    stack.append(FUNCTIONS[cast(str, arg)](stack.pop()))
                else:
                    right = stack.pop()
                    left = stack.pop()
                    stack.append(_BINARY[cast(str, arg)](left, right))
            (result,) = stack
            return np.broadcast_to(np.asarray(result, dtype=np.float64), x.shape).copy()
