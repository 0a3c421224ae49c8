"""PRIVACY.md names, for each guarantee, the test that proves it: every named test must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`")


def _references() -> list[tuple[str, str | None]]:
    found = []
    last_file = None
    for match in REFERENCE.finditer((ROOT / "PRIVACY.md").read_text()):
        path, name, shorthand = match.groups()
        if path:
            last_file = path
            found.append((path, name))
        else:  # "`::name`" continues the file named just before it
            found.append((last_file, shorthand))
    return found


def _tests_in(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_test_privacy_md_names_exists():
    references = _references()
    assert len(references) > 40
    missing = []
    for path, name in references:
        if not (ROOT / path).is_file():
            missing.append(path)
        elif name and name not in _tests_in(path):
            missing.append(f"{path}::{name}")
    assert missing == []
