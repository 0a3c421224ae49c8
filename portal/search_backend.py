"""Wagtail's database search backend, with every search term taken literally on SQLite's FTS5.

The SQLite backend wraps each term in double quotes for FTS5 but leaves quotes inside a term as
they are, so a visitor's ``"`` or ``">`` becomes FTS5 syntax and the query fails (a server error
on every search box, Wagtail's admin included). FTS5 escapes a quote inside a string by doubling
it; this backend does that before the terms are built. PostgreSQL's backend parses the text
itself and needs nothing; control characters never reach either (portal.input_middleware).
"""

from __future__ import annotations

from functools import cache

from modelsearch.backends.database import SearchBackend as database_search_backend
from modelsearch.query import Phrase, PlainText


def _literal(text: str) -> str:
    return text.replace('"', '""')


class LiteralTermsMixin:
    """Doubles the quotes inside plain-text and phrase queries before the FTS5 expression is built."""

    def build_search_query_content(self, query, config=None):
        if isinstance(query, PlainText):
            query = PlainText(_literal(query.query_string), operator=query.operator, boost=query.boost)
        elif isinstance(query, Phrase):
            query = Phrase(_literal(query.query_string))
        return super().build_search_query_content(query, config=config)


@cache
def _literal_sqlite_backend_class():
    # Imported only on SQLite: the module's index model exists only where the SQLite backend is in use.
    from modelsearch.backends.database.sqlite.sqlite import (
        SQLiteAutocompleteQueryCompiler,
        SQLiteSearchBackend,
        SQLiteSearchQueryCompiler,
    )

    class LiteralSearchQueryCompiler(LiteralTermsMixin, SQLiteSearchQueryCompiler):
        pass

    class LiteralAutocompleteQueryCompiler(LiteralTermsMixin, SQLiteAutocompleteQueryCompiler):
        pass

    class LiteralSQLiteSearchBackend(SQLiteSearchBackend):
        query_compiler_class = LiteralSearchQueryCompiler
        autocomplete_query_compiler_class = LiteralAutocompleteQueryCompiler

    return SQLiteSearchBackend, LiteralSQLiteSearchBackend


def SearchBackend(params):  # noqa: N802 - Wagtail looks the backend up by this name
    """The backend ``wagtail.search.backends.database`` would choose, with literal terms on SQLite's FTS5."""
    backend = database_search_backend(params)
    if type(backend).__name__ != "SQLiteSearchBackend":
        return backend
    sqlite_backend, literal_backend = _literal_sqlite_backend_class()
    return literal_backend(params) if type(backend) is sqlite_backend else backend
