"""Signed consent receipts: JWS compact serialisation, EdDSA over Ed25519 (RFC 7515, RFC 8037).

A receipt carries the Kantara Consent Receipt v1.1 fields (with ISO/IEC TS 27560 notice data), the
exact ledger entry, its leaf hash, the tree it entered and the inclusion proof, so anyone holding
the receipt and the published key (JWKS) can check it without trusting the portal's database.
jwcrypto signs and verifies; the verifier takes only compact EdDSA tokens under a published key.
Retired verification keys stay verifiable through ``settings.RECEIPT_RETIRED_PUBLIC_KEYS``
(comma-separated base64url Ed25519 public keys).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from consent import merkle
from consent.keys import signing_jwk, verification_keys
from consent.models import ConsentEvent, Purpose

KANTARA_VERSION = "KI-CR-v1.1.0"
MAX_RECEIPT_LENGTH = 64 * 1024
ALGORITHM = "EdDSA"
# Compact serialisation only: jwcrypto would also take the JSON serialisations (RFC 7515 section 7.2).
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class ReceiptError(ValueError):
    """A receipt or signed statement that does not verify."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def jwks() -> dict:
    """The published verification keys (current first)."""
    return {"keys": [key.export_public(as_dict=True) for key in verification_keys()]}


def sign(claims: dict) -> str:
    """A compact JWS over the canonical claims (sorted keys, no spaces), signed with the current key."""
    key = signing_jwk()
    header = {"alg": ALGORITHM, "typ": "JWT", "kid": key["kid"]}
    token = jws.JWS(json.dumps(claims, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode())
    token.add_signature(key, protected=json.dumps(header, separators=(",", ":"), sort_keys=True))
    return token.serialize(compact=True)


def verify_jws(token: str) -> dict:
    """The claims of a JWS signed by one of the published keys; raises ReceiptError otherwise."""
    token = (token or "").strip()
    if len(token) > MAX_RECEIPT_LENGTH:
        raise ReceiptError("the receipt is too large")
    if not _COMPACT_JWS.fullmatch(token):
        raise ReceiptError("not a JWS in compact serialisation")
    signed = jws.JWS()
    signed.allowed_algs = [ALGORITHM]
    try:
        signed.deserialize(token)
        header = signed.jose_header
    except (JWException, TypeError, ValueError) as exc:
        raise ReceiptError("the receipt is not well-formed base64url JSON") from exc
    if header.get("alg") != ALGORITHM:
        raise ReceiptError("only EdDSA (Ed25519) receipts are accepted")
    if "crit" in header or "b64" in header:
        raise ReceiptError("the receipt requires header extensions this portal does not accept")
    key_set = jwk.JWKSet()
    for key in verification_keys():
        key_set.add(key)
    key = key_set.get_key(header.get("kid"))
    if key is None:
        raise ReceiptError("signed with a key this portal does not publish")
    try:
        signed.verify(key, alg=ALGORITHM)
        claims = json.loads(signed.payload)
    except JWException as exc:
        raise ReceiptError("the signature does not match") from exc
    except ValueError as exc:
        raise ReceiptError("the receipt is not well-formed base64url JSON") from exc
    if not isinstance(claims, dict):
        raise ReceiptError("the receipt is not well-formed")
    return claims


def receipt_claims(event: ConsentEvent, purpose: Purpose | None = None) -> dict:
    """Kantara v1.1 fields for one ledger event, with the ledger evidence."""
    entry = json.loads(event.payload)
    proof = [bytes.fromhex(h) for h in event.proof.split()]
    leaf = bytes.fromhex(event.leaf_hash)
    tree_size = event.index + 1
    root = merkle.root_from_inclusion_proof(event.index, tree_size, leaf, proof)
    purpose = purpose or Purpose.objects.filter(code=event.purpose_code).first()
    controller = settings.CONSENT_CONTROLLER
    moment = datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
    purposes = []
    if purpose is not None:
        purposes.append(
            {
                "purpose": purpose.name_en,
                "purposeCategory": [purpose.code],
                "consentType": "EXPLICIT",
                "piiCategory": [c.strip() for c in purpose.data_categories.split(",") if c.strip()],
                "primaryPurpose": False,
                "termination": purpose.retention,
                "thirdPartyDisclosure": bool(purpose.recipients),
                "thirdPartyName": purpose.recipients,
            }
        )
    return {
        "version": KANTARA_VERSION,
        "jurisdiction": entry["jurisdiction"],
        "consentTimestamp": int(moment.timestamp()),
        "collectionMethod": entry["method"],
        "consentReceiptID": entry["record_id"],
        "language": entry["language"],
        "piiPrincipalId": entry["subject"],
        "piiControllers": [
            {
                "piiController": controller,
                "contact": settings.CONSENT_CONTROLLER_CONTACT,
                "address": settings.CONSENT_CONTROLLER_ADDRESS,
                "email": settings.CONSENT_CONTROLLER_EMAIL,
                "phone": settings.CONSENT_CONTROLLER_PHONE,
            }
        ],
        "policyUrl": settings.PORTAL_BASE_URL + "/privacy/",
        "services": [{"service": controller, "purposes": purposes}],
        "sensitive": False,
        "spiCat": [],
        "iss": settings.PORTAL_BASE_URL,
        "iat": int(moment.timestamp()),
        "consentState": entry["state"],
        "eventKind": entry["kind"],
        "notice": {"version": entry["notice_version"], "sha256": entry["notice_hash"]},
        "ledger": {
            "index": event.index,
            "entry": event.payload,
            "leafHash": _b64(leaf),
            "treeSize": tree_size,
            "rootHash": _b64(root),
            "inclusionProof": [_b64(h) for h in proof],
        },
    }


def receipt_for(event: ConsentEvent, purpose: Purpose | None = None) -> str:
    """The member's receipt for one event (deterministic: Ed25519 signatures are)."""
    return sign(receipt_claims(event, purpose))


@dataclass
class ReceiptCheck:
    """What the verify page reports about a receipt."""

    valid: bool = False
    claims: dict = field(default_factory=dict)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    error: str = ""


def verify_receipt(token: str) -> ReceiptCheck:
    """Check signature, the entry against its leaf hash, the inclusion proof, and the stored ledger."""
    from consent.ledger import root_at

    result = ReceiptCheck()
    try:
        claims = verify_jws(token)
    except ReceiptError as exc:
        result.error = str(exc)
        return result
    result.claims = claims
    result.checks.append(("signature", True))
    try:
        ledger = claims["ledger"]
        index, size = int(ledger["index"]), int(ledger["treeSize"])
        leaf = base64.b64decode(ledger["leafHash"], validate=True)
        root = base64.b64decode(ledger["rootHash"], validate=True)
        proof = [base64.b64decode(h, validate=True) for h in ledger["inclusionProof"]]
        entry = json.loads(ledger["entry"])
    except (KeyError, TypeError, ValueError) as exc:
        result.error = f"the receipt lacks ledger evidence ({exc.__class__.__name__})"
        return result
    result.checks.append(("entry", merkle.leaf_hash(ledger["entry"].encode()) == leaf))
    result.checks.append(
        (
            "fields",
            entry.get("record_id") == claims.get("consentReceiptID")
            and entry.get("subject") == claims.get("piiPrincipalId")
            and entry.get("index") == index
            and entry.get("state") == claims.get("consentState"),
        )
    )
    try:
        merkle.verify_inclusion(index, size, leaf, proof, root)
        result.checks.append(("inclusion", True))
    except merkle.ProofError:
        result.checks.append(("inclusion", False))
    stored = ConsentEvent.objects.filter(index=index).values_list("leaf_hash", flat=True).first()
    result.checks.append(("ledger", stored == leaf.hex() and root_at(size) == root))
    result.valid = all(ok for _name, ok in result.checks)
    return result
