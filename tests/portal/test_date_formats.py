"""One set of date formats on the whole site: the active language's own (Django's named formats).

A template formats a date only with DATE_FORMAT, DATETIME_FORMAT, SHORT_DATE_FORMAT, SHORT_DATETIME_FORMAT,
TIME_FORMAT or MONTH_DAY_FORMAT, so German readers read "6. Dezember 2026" and "06.12.2026" and English
ones their own; a literal pattern ("Y-m-d", "j M Y") is allowed only inside a machine-readable
``datetime="..."`` attribute.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMED = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "TIME_FORMAT",
    "MONTH_DAY_FORMAT",
    "YEAR_MONTH_FORMAT",
}
FILTER = re.compile(r"""\|date:(["'])(?P<format>[^"']*)\1""")
MACHINE_ATTRIBUTE = re.compile(r"""datetime=["']\{\{[^}]*\|date:(["'])[^"']*\1\s*\}\}["']""")


def test_templates_format_dates_only_in_the_languages_own_formats():
    templates = [
        path
        for path in ROOT.glob("*/**/templates/**/*.html")
        if ".venv" not in path.parts and "node_modules" not in path.parts and "tests" not in path.parts
    ]
    assert templates
    offenders = []
    for template in templates:
        text = MACHINE_ATTRIBUTE.sub("", template.read_text())
        for match in FILTER.finditer(text):
            if match["format"] not in NAMED:
                offenders.append(f"{template.relative_to(ROOT)}: |date:{match['format']!r}")
    assert offenders == []
