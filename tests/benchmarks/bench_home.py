"""Home page: queries and warm server time (in-process client, anonymous and logged in)."""

from django.test import Client

from tests.benchmarks.timing import count_queries, get_ok, percentiles


def run(report):
    from portal.demo import seed

    seed(stdout=None)
    anonymous = Client()
    call = get_ok(anonymous, "/")
    call()
    report("home.queries", count_queries(call))
    figures = percentiles(call, iterations=300)
    report("home.p50_ms", figures["p50_ms"], "ms")
    report("home.p95_ms", figures["p95_ms"], "ms")

    member = Client()
    member.login(email="customer@example.com", password="customer-demo-2026")
    call = get_ok(member, "/")
    call()
    report("home.member.queries", count_queries(call))
    figures = percentiles(call, iterations=300)
    report("home.member.p50_ms", figures["p50_ms"], "ms")
