"""Panels other apps add to community pages, so community never imports them.

knowledgebase/ adds "answered in the knowledge base" to the thread page and article
suggestions to the ask form; each panel is a template rendered with the page's context.
"""

from __future__ import annotations

SLOTS: dict[str, list[str]] = {"thread_page": [], "ask_form": []}


def add_panel(slot: str, template_name: str) -> None:
    """Render ``template_name`` in ``slot`` of community pages (idempotent)."""
    if template_name not in SLOTS[slot]:
        SLOTS[slot].append(template_name)
