"""Typed reads of environment variables, so each setting names its variable and default where it is declared.

An unset or empty variable gives the default; a value that cannot be read stops start-up with the
variable's name instead of a bare ValueError.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value


def env_str(name: str, default: str) -> str:
    """A text setting."""
    value = _raw(name)
    return default if value is None else value


def env_int(name: str, default: int) -> int:
    """A whole-number setting."""
    value = _raw(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    """A number setting (seconds, fractions)."""
    value = _raw(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_bool(name: str, default: bool) -> bool:
    """A switch: 1/true/yes/on or 0/false/no/off."""
    value = _raw(name)
    if value is None:
        return default
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false, yes/no, on/off), not {value!r}")


def env_list(name: str, default: str) -> list[str]:
    """A comma-separated setting; the default is written as the variable would be."""
    value = env_str(name, default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    """A directory or file setting."""
    value = _raw(name)
    return default if value is None else Path(value)
