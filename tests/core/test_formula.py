"""The formula parser: the grammar it accepts, what it computes, and everything it refuses."""

import numpy as np
import pytest

from neurocanvas.core.datasets.formula import MAX_DEPTH, MAX_LENGTH, Formula, FormulaError

X = np.array([-2.0, -1.5, -0.5, 0.0, 0.25, 1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # precedence and associativity, each against the numpy expression a person means
        ("1 + 2 * x", lambda x: 1 + 2 * x),
        ("(1 + 2) * x", lambda x: 3 * x),
        ("x - 1 - 2", lambda x: (x - 1) - 2),
        ("x / 2 / 4", lambda x: (x / 2) / 4),
        ("2 * x / 4 * 3", lambda x: ((2 * x) / 4) * 3),
        ("-x^2", lambda x: -(x**2)),
        ("-x ^ 2 + 1", lambda x: -(x**2) + 1),
        ("2^3^2", lambda x: np.full_like(x, 2.0**9)),
        ("2^-x", lambda x: 2.0 ** (-x)),
        ("x^2*3", lambda x: (x**2) * 3),
        ("3*x^2 + 2*x + 1", lambda x: 3 * x**2 + 2 * x + 1),
        ("--x", lambda x: x),
        ("+x - -1", lambda x: x + 1),
        ("2 * -x", lambda x: -2 * x),
        ("(x)^(2)", lambda x: x**2),
        ("sin(pi*x) + cos(x)", lambda x: np.sin(np.pi * x) + np.cos(x)),
        ("tan(x/4) * tanh(x)", lambda x: np.tan(x / 4) * np.tanh(x)),
        ("exp(-x^2/2)", lambda x: np.exp(-(x**2) / 2)),
        ("abs(x) + sqrt(abs(x))", lambda x: np.abs(x) + np.sqrt(np.abs(x))),
        ("log(e) * x", lambda x: x),
        ("1e-3*x + .5 + 2.", lambda x: 1e-3 * x + 2.5),
        ("1.5E+2", lambda x: np.full_like(x, 150.0)),
        ("  x\t*\nx ", lambda x: x * x),
    ],
)
def test_formula_computes_what_the_math_means(text, expected):
    np.testing.assert_allclose(Formula(text)(X), expected(X), rtol=1e-12)


def test_result_has_the_shape_of_x_even_for_constants():
    grid = np.zeros((4, 1))
    assert Formula("7")(grid).shape == (4, 1)
    np.testing.assert_array_equal(Formula("7")(grid), np.full((4, 1), 7.0))
    assert Formula("x^2")(grid).shape == (4, 1)


def test_undefined_points_give_nan_or_inf_without_warnings():
    x = np.array([-1.0, 0.0, 1.0])
    logs = Formula("log(x)")(x)
    assert np.isnan(logs[0]) and logs[1] == -np.inf and logs[2] == 0.0
    np.testing.assert_array_equal(Formula("1/x")(x), [-1.0, np.inf, 1.0])


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("(x + 1))", "unexpected ')' at column 8", 8),
        ("x + y", "unknown name 'y' at column 5 — use x", 5),
        ("foo(x)", "unknown function 'foo' at column 1", 1),
        ("x +", "unexpected end of formula at column 4", 4),
        ("* x", "unexpected '*' at column 1", 1),
        ("(x + 1", "missing ')' for the '(' opened at column 1", 7),
        ("sin(x", "missing ')' for the '(' opened at column 1", 6),
        ("sin x", "function 'sin' at column 1 needs parentheses", 1),
        ("2x", "unexpected 'x' at column 2 — write * for a product", 2),
        ("x(2)", "'x' at column 1 is not a function", 1),
        ("pi(2)", "'pi' at column 1 is not a function", 1),
        ("x**2", "'**' at column 2 — use ^ for powers", 2),
        ("()", "unexpected ')' at column 2", 2),
        ("1e999 * x", "number '1e999' at column 1 is too large", 1),
        ("x $ 2", "unexpected character '$' at column 3", 3),
    ],
)
def test_errors_name_the_problem_and_the_column(text, message, column):
    with pytest.raises(FormulaError) as info:
        Formula(text)
    assert message in str(info.value)
    assert info.value.column == column


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hacked')",
        '__import__("os")',
        "__import__",
        "x.real",
        "x.__class__",
        "lambda: 1",
        "lambda x: x",
        "max(x, 1)",
        "x, x",
        "'x'",
        '"x"',
        "x[0]",
        "x if x else 1",
        "x == 1",
        "x; 1",
        "np.sin(x)",
        "exec",
        "eval(x)",
        "open(x)",
        "globals",
        "X",
    ],
)
def test_anything_outside_the_grammar_is_refused(text):
    with pytest.raises(FormulaError):
        Formula(text)


def test_empty_and_non_text_input():
    with pytest.raises(FormulaError, match="formula is empty"):
        Formula("   ")
    with pytest.raises(FormulaError, match="must be text"):
        Formula(3)  # type: ignore[arg-type]


def test_very_long_input_is_refused_before_parsing():
    text = "+".join(["x"] * MAX_LENGTH)
    with pytest.raises(FormulaError, match=r"too long \(\d+ characters; at most 500\)"):
        Formula(text)


def test_longest_flat_formula_evaluates_without_recursion():
    # A long left-associative sum builds a deep left-leaning chain; evaluation is a flat loop.
    n = MAX_LENGTH // 2
    text = "+".join(["x"] * n)
    assert len(text) <= MAX_LENGTH
    np.testing.assert_allclose(Formula(text)(X), n * X)


@pytest.mark.parametrize(
    "make",
    [
        lambda d: "(" * d + "x" + ")" * d,
        lambda d: "-" * d + "x",
        lambda d: "sin(" * d + "x" + ")" * d,
        lambda d: "^".join(["x"] * (d + 1)),
        lambda d: "(" * 400,
    ],
)
def test_deep_nesting_gives_a_clear_error_not_recursion_error(make):
    with pytest.raises(FormulaError, match="nests too deeply"):
        Formula(make(MAX_DEPTH + 1))


def test_nesting_up_to_the_limit_is_accepted():
    d = MAX_DEPTH - 1
    np.testing.assert_allclose(Formula("(" * d + "x" + ")" * d)(X), X)
    np.testing.assert_allclose(Formula("-" * 20 + "x")(X), X)
