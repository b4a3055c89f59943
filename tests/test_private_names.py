"""No module in src/ uses another module's private (`_name`) functions, classes or constants:
what modules share is public, so it has one name, one place and one set of callers to check
when it changes."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _uses_of_private_names(path: Path, root: Path = SRC) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    where = path.relative_to(root)
    imported: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("datalinks"):
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{where}:{node.lineno}: from {node.module} import {alias.name}")
                imported.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            imported.update(
                alias.asname or alias.name.split(".")[0]
                for alias in node.names
                if alias.name.startswith("datalinks")
            )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in imported
        ):
            found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    found = [use for path in sorted(SRC.rglob("*.py")) for use in _uses_of_private_names(path)]
    assert not found, "\n".join(found)


def test_the_check_sees_both_forms(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "from datalinks.core import auth\n"
        "from datalinks.data_links.repository import _guarded\n"
        "auth._claims()\n"
        "self._own()\n"
    )
    assert _uses_of_private_names(module, tmp_path) == [
        "module.py:2: from datalinks.data_links.repository import _guarded",
        "module.py:3: auth._claims",
    ]
