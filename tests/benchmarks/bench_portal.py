"""Login: a full POST of the login form through the in-process client, so the cost of encryption at rest shows.

Each login looks the member up by the blind index of the address (HMAC-SHA256), decrypts the row's
address and names (AES-256-GCM), checks the password with the settings' hasher, writes the session
and redirects; the client logs out between logins. Benchmarks run with development settings, so the
hasher is Django's default (PBKDF2-SHA256 at Django's iteration count, printed with the figures):
most of a login's time is that deliberate hashing, not the encryption.
"""

from __future__ import annotations

from django.test import Client

from tests.benchmarks.timing import count_queries, percentiles


def run(report):
    from django.contrib.auth.hashers import get_hasher
    from django.urls import reverse

    from portal.demo import demo_password, seed

    seed(stdout=None)
    hasher = get_hasher()
    print(f"  hasher: {hasher.algorithm}, {getattr(hasher, 'iterations', '-')} iterations", flush=True)
    client = Client()
    email = "customer@example.com"
    form = {"username": email.upper(), "password": demo_password(email)}
    url = reverse("login")

    def login():
        response = client.post(url, form)
        assert response.status_code == 302, response.status_code
        client.logout()

    login()
    report("portal.login.queries", count_queries(login))  # the login and the logout after it
    figures = percentiles(login, iterations=60, warmup=5)
    report("portal.login.p50_ms", figures["p50_ms"], "ms")
    report("portal.login.p95_ms", figures["p95_ms"], "ms")
