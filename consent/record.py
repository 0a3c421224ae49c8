"""The record of processing activities (GDPR Art. 30), generated from the purposes and the registry."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.utils import timezone

from consent import registry
from consent.selectors import purposes_with_notices

SECURITY_MEASURES = (
    "TLS in transit; AES-256-GCM for secrets at rest; pseudonyms per recipient (HMAC-SHA256, keys outside the "
    "database); tamper-evident consent ledger (RFC 6962 Merkle tree, Ed25519-signed checkpoints); role-based "
    "access with an audit log of every access to a member's data; deletion per retention schedule."
)

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
    """Controller, one activity per purpose, and the categories of personal data the portal stores."""
    activities = []
    for purpose, notice in purposes_with_notices():
        activities.append(
            {
                "purpose": purpose.name_en,
                "code": purpose.code,
                "legal_basis": purpose.get_legal_basis_display(),
                "data_subjects": "registered community members",
                "data_categories": purpose.data_categories,
                "recipients": purpose.recipients,
                "third_countries": "none",
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
        entry["erasure"].add(str(rule.erasure))
    return {
        "controller": {
            "name": settings.CONSENT_CONTROLLER,
            "contact": settings.CONSENT_CONTROLLER_EMAIL,
        },
        "generated_at": timezone.now().isoformat(),
        "activities": activities,
        "personal_data_categories": [
            {"category": c["category"], "models": sorted(c["models"]), "erasure": sorted(c["erasure"])}
            for c in sorted(categories.values(), key=lambda c: c["category"])
        ],
        "security_measures": SECURITY_MEASURES,
    }


def record_as_csv(record: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for activity in record["activities"]:
        writer.writerow({k: activity[k] for k in CSV_COLUMNS})
    return out.getvalue()
