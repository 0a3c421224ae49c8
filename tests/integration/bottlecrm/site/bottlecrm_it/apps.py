"""The one change to BottleCRM's behaviour: its webhook SSRF guard lets the portal's test server in.

BottleCRM refuses to send webhooks to loopback addresses (``webhooks.ssrf.is_blocked``) and to any
port but 443 (and 80 with ``DEBUG``: ``webhooks.ssrf._allowed_ports``). The portal's live server
listens on 127.0.0.1 on a free port, so in this process only: the loopback addresses (127.0.0.1,
::1) are no longer blocked, and the ports the harness lists in the file
``BOTTLECRM_IT_ALLOWED_PORTS_FILE`` (read on each send: BottleCRM starts before the portal's live
server has its port) join 443 and 80. Every other address still goes through BottleCRM's unchanged
checks, and the request is still sent by BottleCRM's own ``ssrf.post`` (signature, headers,
timeouts as in production). Patching these two functions, rather than sending through a proxy on
port 80 or a TLS front on 443, keeps the test free of root privileges and of certificates.
"""

import ipaddress
import os

from django.apps import AppConfig

LOOPBACK = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}


def listed_ports() -> set[int]:
    path = os.environ.get("BOTTLECRM_IT_ALLOWED_PORTS_FILE", "")
    if not path or not os.path.exists(path):
        return set()
    with open(path) as listed:
        return {int(word) for word in listed.read().split() if word.isdigit()}


class BottleCrmItConfig(AppConfig):
    name = "bottlecrm_it"
    label = "bottlecrm_it"

    def ready(self):
        from webhooks import ssrf

        original_is_blocked = ssrf.is_blocked
        original_allowed_ports = ssrf._allowed_ports

        def is_blocked(ip):
            return False if ip in LOOPBACK else original_is_blocked(ip)

        def allowed_ports():
            return set(original_allowed_ports()) | listed_ports()

        ssrf.is_blocked = is_blocked
        ssrf._allowed_ports = allowed_ports
