"""The engine must stay free of Django, so it runs and is tested without a database."""

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "scoring" / "engine"


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_no_engine_module_imports_django():
    files = sorted(ENGINE.glob("*.py"))
    assert files, "the engine package has no modules"
    offenders = {
        path.name: sorted(m for m in _imported_modules(path) if m.split(".")[0] == "django")
        for path in files
    }
    assert {name: found for name, found in offenders.items() if found} == {}
