"""No function longer than a screen: every function of the project (the apps, the settings,
the tests and the benchmarks; not the migrations, which Django writes) fits in MAX_LINES
lines from its `def` to its last line, so that a reader sees all of it at once. A longer one
is split into named steps. Ruff holds the same code to a complexity of 11 (pyproject.toml).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "accounts",
    "webhooks",
    "relationships",
    "scoring",
    "reminders",
    "pages",
    "api",
    "config",
    "tests",
    "bench",
)
MAX_LINES = 60


def _python_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


def _functions(node: ast.AST, prefix: str = "") -> Iterator[tuple[str, int]]:
    """(qualified name, lines) of every function under `node`: methods as `Class.method`,
    nested functions as `outer.inner`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            assert child.end_lineno is not None
            yield prefix + child.name, child.end_lineno - child.lineno + 1
            yield from _functions(child, f"{prefix}{child.name}.")
        elif isinstance(child, ast.ClassDef):
            yield from _functions(child, f"{prefix}{child.name}.")
        else:
            yield from _functions(child, prefix)


def _long_functions() -> dict[str, int]:
    """Every function longer than MAX_LINES, as `path::name` -> lines."""
    found = {}
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(ROOT).as_posix()
        for name, lines in _functions(tree):
            if lines > MAX_LINES:
                found[f"{where}::{name}"] = lines
    return found


def test_every_package_is_read():
    for package in PACKAGES:
        assert any((ROOT / package).rglob("*.py")), f"no Python files under {package}/"


def test_no_function_is_longer_than_a_screen():
    too_long = [f"{name} ({lines} lines)" for name, lines in sorted(_long_functions().items())]
    assert not too_long, (
        f"longer than {MAX_LINES} lines; split into named steps:\n  " + "\n  ".join(too_long)
    )
