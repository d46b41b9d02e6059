"""A bounded load from a second process on loopback: nothing fails, and the figures are printed."""

from bench.load import measure

CONNECTIONS = 64
SECONDS = 20
# A fixed offered load: 16,000 requests, each two short TCP connections through Docker's proxy,
# stays well inside the ephemeral ports (see bench/load.py) whatever the machine's speed.
RATE = 800


def test_sustained_load_has_no_errors(service, capsys):
    figures = measure(f"{service.url}/test", CONNECTIONS, SECONDS, rate=RATE, settle=90)
    summary = (
        f"load on /test ({CONNECTIONS} connections, {SECONDS} s, {RATE}/s offered): "
        f"{figures['requests']} requests, {figures['requests_per_second']}/s, "
        f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, errors {figures['errors']}"
    )
    with capsys.disabled():  # the figures are part of the result: always shown
        print(f"\n{summary}")
    assert figures["requests"] >= RATE * SECONDS * 0.5, "the service kept up with most of the offered load"
    assert figures["socket_errors"] == 0, figures["errors"]
    assert figures["non_2xx"] == 0, figures["statuses"]
