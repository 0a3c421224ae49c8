"""Every setting app code reads is declared in portal/settings/base.py, and every variable it reads is documented.

An operator configures the portal through environment variables only: a setting read with a default
hidden in app code (``getattr(settings, "X", 3)``) or a variable missing from the README's
configuration table cannot be found without reading the source.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import global_settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "portal" / "settings"
# The modules an operator runs; test.py reads only pytest-xdist's worker name.
ENVIRONMENT_MODULES = ("base.py", "development.py", "production.py")
ENV_HELPERS = {"env_str", "env_int", "env_float", "env_bool", "env_list", "env_path"}
NOT_APP_CODE = {"tests", "var", "node_modules"}


def first_party_packages() -> list[Path]:
    """Top-level packages of this repository (apps and the portal shell), tests excluded."""
    return sorted(
        path
        for path in ROOT.iterdir()
        if path.is_dir()
        and (path / "__init__.py").exists()
        and path.name not in NOT_APP_CODE
        and not path.name.startswith(".")
    )


def app_modules() -> list[Path]:
    modules = [ROOT / "manage.py"]
    for package in first_party_packages():
        modules += [path for path in package.rglob("*.py") if SETTINGS not in path.parents]
    return sorted(modules)


def setting_reads(source: str) -> tuple[set[str], list[str]]:
    """Names read as ``settings.NAME`` from django.conf's settings, and every ``getattr``/``hasattr`` on it."""
    tree = ast.parse(source)
    aliases = set()
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.conf":
            aliases |= {alias.asname or alias.name for alias in node.names if alias.name == "settings"}
        elif isinstance(node, ast.ImportFrom) and node.module == "django":
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "conf"}
        elif isinstance(node, ast.Import):
            modules |= {"django.conf" for alias in node.names if alias.name in {"django", "django.conf"}}

    def is_settings(node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in aliases
        if isinstance(node, ast.Attribute) and node.attr == "settings":
            return ast.unparse(node.value) in modules
        return False

    names: set[str] = set()
    dynamic: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.isupper() and is_settings(node.value):
            names.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr"}
            and node.args
            and is_settings(node.args[0])
        ):
            dynamic.append(f"line {node.lineno}: {ast.unparse(node)}")
    return names, dynamic


def declared_in(module: Path) -> set[str]:
    """Upper-case names bound at module level (inside if/else and try blocks too, never inside functions)."""
    names: set[str] = set()

    def visit(statements):
        for statement in statements:
            if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                for target in targets:
                    names.update(
                        node.id for node in ast.walk(target) if isinstance(node, ast.Name) and node.id.isupper()
                    )
            elif isinstance(statement, ast.If | ast.Try | ast.With | ast.For):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(statement, field, []))
            elif isinstance(statement, ast.ExceptHandler):
                visit(statement.body)

    visit(ast.parse(module.read_text()).body)
    return names


def environment_reads(source: str) -> set[str]:
    """Variable names passed to the env_* helpers, ``os.environ.get``, ``os.environ[...]`` and ``os.getenv``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        argument = None
        if isinstance(node, ast.Call) and node.args:
            func = ast.unparse(node.func)
            if func in ENV_HELPERS or func in {"os.environ.get", "os.getenv", "environ.get", "getenv"}:
                argument = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in {"os.environ", "environ"}:
            argument = node.slice
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
    return names


def readme_variables(readme: str) -> set[str]:
    """Back-quoted names in the first column of the tables in the README's "Configuration" section."""
    section = readme.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|") and not line.startswith("| ---")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}


def undeclared_reads() -> dict[str, list[str]]:
    declared = declared_in(SETTINGS / "base.py") | {name for name in dir(global_settings) if name.isupper()}
    problems: dict[str, list[str]] = {}
    for module in app_modules():
        names, dynamic = setting_reads(module.read_text())
        found = [f"settings.{name} is not declared in portal/settings/base.py" for name in sorted(names - declared)]
        found += [f"{call}: read settings as settings.NAME, declared in base.py" for call in dynamic]
        if found:
            problems[str(module.relative_to(ROOT))] = found
    return problems


def variables_read() -> set[str]:
    read = set()
    for name in ENVIRONMENT_MODULES:
        read |= environment_reads((SETTINGS / name).read_text())
    return read


def undocumented_variables() -> set[str]:
    return variables_read() - readme_variables((ROOT / "README.md").read_text())


def test_app_code_reads_only_declared_settings():
    """No first-party module (migrations included) reads a setting base.py does not declare, nor uses getattr."""
    assert undeclared_reads() == {}


def test_every_environment_variable_is_in_the_readme():
    """Each variable the settings read has a row in the README's configuration table."""
    assert undocumented_variables() == set()


def test_the_readme_lists_no_variable_that_nothing_reads():
    """A row for a variable the settings no longer read would send an operator after a dead switch."""
    documented = readme_variables((ROOT / "README.md").read_text())
    assert documented - variables_read() == {"DJANGO_SETTINGS_MODULE"}  # read by Django itself


def test_the_scan_covers_every_app_and_its_migrations():
    """The scan reads the apps the portal installs, their migrations included, and no test module."""
    scanned = {str(path.relative_to(ROOT)) for path in app_modules()}
    for package in ("portal", "theme", "consent", "community", "ideas", "knowledgebase", "crm"):
        assert f"{package}/__init__.py" in scanned
    assert "portal/migrations/0001_initial.py" in scanned
    assert "consent/dsar/apps.py" in scanned
    assert not any(path.startswith(("tests/", "portal/settings/")) for path in scanned)


@pytest.mark.parametrize(
    ("source", "names", "dynamic"),
    [
        ("from django.conf import settings\nsettings.CRM_MISSING\n", {"CRM_MISSING"}, 0),
        ("from django.conf import settings as s\nx = s.CHAT_X + 1\n", {"CHAT_X"}, 0),
        ("from django import conf\nconf.settings.X_Y\n", {"X_Y"}, 0),
        ("import django.conf\ndjango.conf.settings.X_Y\n", {"X_Y"}, 0),
        ('from django.conf import settings\ngetattr(settings, "X", 3)\n', set(), 1),
        ('from django.conf import settings\nhasattr(settings, "X")\n', set(), 1),
        ("from django.conf import settings\nsettings.configured\n", set(), 0),
        ("from theme import settings\nsettings.BRAND\n", set(), 0),
    ],
)
def test_the_scan_finds_reads_in_every_spelling(source, names, dynamic):
    """Attribute reads through any import spelling are found; getattr/hasattr are reported; other `settings` are not."""
    found, calls = setting_reads(source)
    assert found == names
    assert len(calls) == dynamic


def test_the_scan_finds_variables_in_every_spelling():
    """Variables read through the env_* helpers and through os.environ in any spelling are all found."""
    source = (
        'A = env_int("ONE", 1)\nB = os.environ.get("TWO", "")\nC = os.environ["THREE"]\n'
        'D = os.getenv("FOUR")\nif A:\n    E = env_list("FIVE", "")\n'
    )
    assert environment_reads(source) == {"ONE", "TWO", "THREE", "FOUR", "FIVE"}


def test_declarations_inside_branches_count(tmp_path):
    """A setting declared in both branches of an if (CACHES with or without Redis) counts; a function's locals do not."""
    module = tmp_path / "base.py"
    module.write_text("A = 1\nif A:\n    B = 2\nelse:\n    C, D = 3, 4\ndef f():\n    E = 5\n")
    assert declared_in(module) == {"A", "B", "C", "D"}
