"""The shape of the code: no function over 60 lines or over 7 parameters.

This test is the one place the rule is written down (ruff's PLR0913 knows parameters but not
length). Functions short enough to read at once, with few enough inputs to keep in mind, are how
a newcomer finds their way; a longer function gets split into named steps instead.

It reads the code as text (the AST), so it needs nothing installed and runs in well under a
second. ``self`` and ``cls`` are not counted; ``*args`` and ``**kwargs`` are not either (they are
passed through, not chosen one by one). A nested function counts on its own and inside its parent.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from support.helpers import ROOT

MAX_LINES = 60
MAX_PARAMETERS = 7
#: The code we ship or run (the template's own Python is rendered text, checked where it renders).
CHECKED = ("src", "extensions", "scripts", "migrations")

Function = ast.FunctionDef | ast.AsyncFunctionDef


def functions(tree: ast.AST) -> Iterator[Function]:
    """Every function and method in a module, nested ones included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def length(node: Function) -> int:
    """Lines from ``def`` to the last line of the body (decorators excluded, docstring included)."""
    return (node.end_lineno or node.lineno) - node.lineno + 1


def parameters(node: Function) -> int:
    """Named parameters a caller may pass, without a leading ``self`` or ``cls``."""
    named = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    if named and named[0].arg in {"self", "cls"}:
        named = named[1:]
    return len(named)


def violations(source: str, name: str) -> list[str]:
    """One line per function in ``source`` that breaks the rule, naming file, line and why."""
    found = []
    for node in functions(ast.parse(source, filename=name)):
        where = f"{name}:{node.lineno} {node.name}()"
        if length(node) > MAX_LINES:
            found.append(f"{where} is {length(node)} lines (max {MAX_LINES})")
        if parameters(node) > MAX_PARAMETERS:
            found.append(f"{where} takes {parameters(node)} parameters (max {MAX_PARAMETERS})")
    return found


def checked_files() -> list[Path]:
    return sorted(path for top in CHECKED for path in (ROOT / top).rglob("*.py"))


def test_no_function_is_too_long_or_takes_too_many_parameters() -> None:
    files = checked_files()
    assert len(files) > 20, f"too few files found under {CHECKED}: is ROOT right?"
    found = [
        line
        for path in files
        for line in violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "split these into named steps:\n" + "\n".join(found)


def _function(name: str, body_lines: int, params: str, indent: str = "") -> str:
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(body_lines))
    return f"{indent}def {name}({params}):\n{body}"


def test_the_rule_finds_a_long_function_and_a_long_parameter_list() -> None:
    """The checker itself: a 61-line function and 8 parameters fail, 60 and 7 (+ self) pass."""
    source = "".join(
        [
            _function("fits", MAX_LINES - 1, "a, b, c, d, e, f, g"),  # lines 1-60
            _function("too_long", MAX_LINES, "a"),  # from line 61
            _function("too_many", 1, "a, b, c, d, /, e, f, g, *args, h, **kwargs"),
            "class C:\n",
            _function("method", 1, "self, a, b, c, d, e, f, g", indent="    "),
            "    @staticmethod\n",
            _function("amethod", 1, "cls, a, b, c, d, e, f, g, h", indent="    "),
        ]
    )
    assert violations(source, "x.py") == [
        f"x.py:{MAX_LINES + 1} too_long() is {MAX_LINES + 1} lines (max {MAX_LINES})",
        f"x.py:{2 * MAX_LINES + 2} too_many() takes 8 parameters (max {MAX_PARAMETERS})",
        f"x.py:{2 * MAX_LINES + 8} amethod() takes 8 parameters (max {MAX_PARAMETERS})",
    ]
