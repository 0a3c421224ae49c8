"""The record of processing activities (GDPR Art. 30), generated from the purposes and the registry."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from consent import registry
from consent.models import LegalBasis
from consent.processors import registered_processors
from consent.selectors import purposes_with_notices

SECURITY_MEASURES = gettext_lazy(
    "TLS in transit; AES-256-GCM for secrets at rest; pseudonyms per recipient (HMAC-SHA256, keys outside the "
    "database); tamper-evident consent ledger (RFC 6962 Merkle tree, Ed25519-signed checkpoints); role-based "
    "access with an audit log of every access to a member's data; deletion per retention schedule."
)
# What erasure does to a category, in words (the registry's codes are for the code).
ERASURE_LABELS = {
    registry.Erasure.DELETE: gettext_lazy("deleted"),
    registry.Erasure.ANONYMISE: gettext_lazy("anonymised"),
    registry.Erasure.RETAIN: gettext_lazy("kept under a legal hold"),
    registry.Erasure.ACCOUNT: gettext_lazy("account anonymised"),
}

CSV_COLUMNS = (
    "purpose",
    "code",
    "legal_basis",
    "data_subjects",
    "data_categories",
    "recipients",
    "third_countries",
    "retention",
    "notice_version",
)


def record_of_processing() -> dict:
    """Controller, one activity per purpose, and the categories of personal data the portal stores.

    Worded in the active language (the back office's, or the one a download was asked in).
    """
    activities = []
    for purpose, notice in purposes_with_notices():
        activities.append(
            {
                "purpose": purpose.name,
                "code": purpose.code,
                "legal_basis": purpose.get_legal_basis_display(),
                "data_subjects": gettext("registered community members"),
                "data_categories": purpose.data_categories,
                "recipients": purpose.recipients,
                "third_countries": gettext("none"),
                "retention": purpose.retention,
                "notice_version": notice.version if notice else None,
            }
        )
    categories: dict[str, dict] = {}
    for rule in registry.rules():
        if not rule.category:
            continue
        entry = categories.setdefault(rule.category, {"category": rule.category, "models": [], "erasure": set()})
        entry["models"].append(rule.model)
        entry["erasure"].add(str(ERASURE_LABELS.get(rule.erasure, rule.erasure)))
    return {
        "controller": {
            "name": settings.CONSENT_CONTROLLER,
            "contact": settings.CONSENT_CONTROLLER_EMAIL,
        },
        "generated_at": timezone.now().isoformat(),
        "activities": activities,
        # Every processing path beyond storing (analysis, mail, transfers) with the legal basis it rests on.
        "processors": [
            {
                "code": p.code,
                "description": str(p.description),
                "legal_basis": str(LegalBasis(p.legal_basis).label)
                if p.legal_basis in LegalBasis.values
                else p.legal_basis,
                "purpose": p.purpose or "",
                "kind": p.kind,
            }
            for p in registered_processors()
        ],
        "personal_data_categories": [
            {"category": c["category"], "models": sorted(c["models"]), "erasure": sorted(c["erasure"])}
            for c in sorted(categories.values(), key=lambda c: c["category"])
        ],
        "security_measures": str(SECURITY_MEASURES),
    }


def record_as_csv(record: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for activity in record["activities"]:
        writer.writerow({k: activity[k] for k in CSV_COLUMNS})
    return out.getvalue()
