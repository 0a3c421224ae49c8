"""CRM adapters behind one interface (``crm.adapters.base.Adapter``), picked by the connection's type."""

from __future__ import annotations

import threading

import httpx

from crm.adapters.base import TIMEOUT, Adapter
from crm.models import ConnectionKind, CrmConnection

_local = threading.local()


def shared_client() -> httpx.Client:
    """One pooled HTTP client per worker thread, so keep-alive connections are reused across sends."""
    client = getattr(_local, "client", None)
    if client is None or client.is_closed:
        client = _local.client = httpx.Client(
            timeout=TIMEOUT, follow_redirects=False, headers={"user-agent": "portal-crm/1"}
        )
    return client


def adapter_class(kind: str) -> type[Adapter]:
    from crm.adapters.bottlecrm import BottleCrmAdapter
    from crm.adapters.hubspot import HubSpotAdapter
    from crm.adapters.salesforce import SalesforceAdapter
    from crm.adapters.webhook import WebhookAdapter

    return {
        ConnectionKind.WEBHOOK: WebhookAdapter,
        ConnectionKind.BOTTLECRM: BottleCrmAdapter,
        ConnectionKind.SALESFORCE: SalesforceAdapter,
        ConnectionKind.HUBSPOT: HubSpotAdapter,
    }[kind]


def adapter_for(connection: CrmConnection, *, client: httpx.Client | None = None) -> Adapter:
    return adapter_class(connection.kind)(connection, client=client or shared_client())
