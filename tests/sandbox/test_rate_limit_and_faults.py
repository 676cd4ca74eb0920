"""Throttling, latency and injected faults."""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING

import pytest
import requests

from tap_homele.sandbox import FAULT_KINDS

if TYPE_CHECKING:
    from tests.sandbox.sandbox_helpers import ClientFactory, SandboxFactory


def test_rate_limit_headers_429_and_recovery(
    make_sandbox: SandboxFactory, make_client: ClientFactory
) -> None:
    sandbox = make_sandbox(rate_limit=5, rate_window=1.0)
    client = make_client(sandbox)
    url = f"{sandbox.url}/customers"
    started = time.monotonic()
    remaining = []
    for _ in range(5):
        response = client.get(url, timeout=10)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "5"
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    response = client.get(url, timeout=10)
    assert response.status_code == 429
    assert response.json() == {"success": False, "message": "Too Many Attempts."}
    assert response.headers["Retry-After"] == "1"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    reset = int(response.headers["X-RateLimit-Reset"])
    assert time.time() - 1 <= reset <= time.time() + 2
    # a 429 does not extend the window: it ends one window after its first request
    assert client.get(f"{sandbox.url}/customers/1", timeout=10).status_code == 429
    time.sleep(max(0.0, started + 1.25 - time.monotonic()))
    response = client.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "4"
    stats = sandbox.stats()
    assert stats["by_status"] == {"200": 6, "429": 2}
    assert stats["by_endpoint"]["list"] == {"200": 6, "429": 1}
    assert stats["by_endpoint"]["detail"] == {"429": 1}


def test_retry_after_counts_whole_seconds(
    make_sandbox: SandboxFactory, make_client: ClientFactory
) -> None:
    sandbox = make_sandbox(rate_limit=1, rate_window=3.0)
    client = make_client(sandbox)
    assert client.get(f"{sandbox.url}/customers", timeout=10).status_code == 200
    response = client.get(f"{sandbox.url}/customers", timeout=10)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"


def test_limits_are_per_token_and_before_auth(
    make_sandbox: SandboxFactory, make_client: ClientFactory
) -> None:
    sandbox = make_sandbox(rate_limit=2, rate_window=30.0)
    full, other = make_client(sandbox), make_client(sandbox, "other_company")
    revoked, anonymous = make_client(sandbox, "revoked"), make_client(sandbox, None)
    url = f"{sandbox.url}/customers"
    assert [full.get(url, timeout=10).status_code for _ in range(3)] == [200, 200, 429]
    assert [other.get(url, timeout=10).status_code for _ in range(3)] == [200, 200, 429]
    assert [revoked.get(url, timeout=10).status_code for _ in range(3)] == [401, 401, 429]
    assert [anonymous.get(url, timeout=10).status_code for _ in range(3)] == [401, 401, 429]
    # introspection is never limited
    assert anonymous.get(url.replace("/api/v2/crm/customers", "/__sandbox/stats"), timeout=10).ok


def test_rate_limit_zero_disables(make_sandbox: SandboxFactory, make_client: ClientFactory) -> None:
    sandbox = make_sandbox(rate_limit=0)
    client = make_client(sandbox)
    for _ in range(100):
        response = client.get(f"{sandbox.url}/customers", params={"per_page": 1}, timeout=10)
        assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers


def test_latency(make_sandbox: SandboxFactory, make_client: ClientFactory) -> None:
    sandbox = make_sandbox(latency=0.25)
    client = make_client(sandbox)
    started = time.monotonic()
    assert client.get(f"{sandbox.url}/customers", timeout=10).status_code == 200
    assert client.get(f"{sandbox.url}/nope", timeout=10).status_code == 404
    assert time.monotonic() - started >= 0.5


def test_every_fault_kind_at_exact_numbers(
    make_sandbox: SandboxFactory, make_client: ClientFactory
) -> None:
    faults = dict(enumerate(FAULT_KINDS, start=1))
    sandbox = make_sandbox(faults_at=faults, slow_seconds=0.3)
    client = make_client(sandbox)
    url = f"{sandbox.url}/customers"
    normal = client.get(url, timeout=10)  # request 1 is error_500
    assert normal.status_code == 500
    assert normal.headers["Content-Type"] == "application/json"
    assert normal.json() == {"success": False, "message": "Server Error"}

    response = client.get(url, timeout=10)  # 2: html_500
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html" in response.text
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)

    response = client.get(url, timeout=10)  # 3: html_502
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "502 Bad Gateway" in response.text
    assert "nginx" in response.text

    with pytest.raises(requests.ConnectionError):  # 4: reset
        client.get(url, timeout=10)

    started = time.monotonic()
    response = client.get(url, timeout=10)  # 5: slow, then normal
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    assert response.json()["data"] == sandbox.truth()[:25]

    response = client.get(url, timeout=10)  # 6: truncated
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(requests.JSONDecodeError):
        response.json()

    response = client.get(url, timeout=10)  # 7: success_false
    assert response.status_code == 200
    assert response.json() == {"success": False, "message": "Temporary failure."}

    response = client.get(url, timeout=10)  # 8: normal
    assert response.status_code == 200
    assert response.json()["success"] is True

    log = sandbox.request_log
    assert [r.number for r in log] == list(range(1, 9))
    assert [r.fault for r in log] == [*FAULT_KINDS, None]
    assert [r.status for r in log] == [500, 500, 502, 0, 200, 200, 200, 200]
    assert sandbox.stats()["by_status"] == {"500": 2, "502": 1, "0": 1, "200": 4}


def test_truncated_body_is_half(make_sandbox: SandboxFactory, make_client: ClientFactory) -> None:
    sandbox = make_sandbox(faults_at={2: "truncated", 4: "truncated"})
    client = make_client(sandbox)
    url = f"{sandbox.url}/customers/{sandbox.truth()[0]['id']}"
    full = client.get(url, timeout=10).content
    cut = client.get(url, timeout=10).content
    assert cut == full[: len(full) // 2]
    full = client.get(f"{sandbox.url}/customers", timeout=10).content
    cut = client.get(f"{sandbox.url}/customers", timeout=10).content
    assert cut == full[: len(full) // 2]


def test_success_false_is_200(make_sandbox: SandboxFactory, make_client: ClientFactory) -> None:
    sandbox = make_sandbox(faults_at={1: "success_false"})
    response = make_client(sandbox).get(f"{sandbox.url}/customers/1", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"success": False, "message": "Temporary failure."}


def test_faults_only_hit_authenticated_requests(
    make_sandbox: SandboxFactory, make_client: ClientFactory
) -> None:
    sandbox = make_sandbox(faults_at={1: "error_500", 2: "error_500", 3: "error_500"})
    assert make_client(sandbox, None).get(f"{sandbox.url}/customers", timeout=10).status_code == 401
    assert make_client(sandbox).get(f"{sandbox.url}/nope", timeout=10).status_code == 404
    assert make_client(sandbox).get(f"{sandbox.url}/customers", timeout=10).status_code == 500
    assert [r.fault for r in sandbox.request_log] == [None, None, "error_500"]


def run_with_rate(make_sandbox: SandboxFactory, make_client: ClientFactory, seed: int) -> list[int]:
    sandbox = make_sandbox(
        fault_rate=0.3, fault_seed=seed, fault_kinds=("error_500", "success_false", "html_502")
    )
    client = make_client(sandbox)
    outcomes = []
    for _ in range(60):
        response = client.get(f"{sandbox.url}/customers", params={"per_page": 2}, timeout=10)
        outcomes.append(
            response.status_code * 10 + int(response.json()["success"])
            if response.headers["Content-Type"] == "application/json"
            else response.status_code * 10
        )
    faults = [r.fault for r in sandbox.request_log]
    assert set(faults) == {None, "error_500", "success_false", "html_502"}
    assert 6 <= sum(f is not None for f in faults) <= 30
    return outcomes


def test_probability_faults_are_deterministic(
    make_sandbox: SandboxFactory, make_client: ClientFactory
) -> None:
    first = run_with_rate(make_sandbox, make_client, 11)
    assert run_with_rate(make_sandbox, make_client, 11) == first
    assert run_with_rate(make_sandbox, make_client, 12) != first


def test_faults_at_wins_over_rate(make_sandbox: SandboxFactory, make_client: ClientFactory) -> None:
    sandbox = make_sandbox(fault_rate=1.0, fault_kinds=("error_500",), faults_at={2: "html_502"})
    client = make_client(sandbox)
    codes = [client.get(f"{sandbox.url}/customers", timeout=10).status_code for _ in range(3)]
    assert codes == [500, 502, 500]


def test_stop_interrupts_slow_responses(make_sandbox: SandboxFactory) -> None:
    sandbox = make_sandbox(faults_at={1: "slow"}, slow_seconds=30.0)
    session = requests.Session()
    errors: list[BaseException] = []

    def call() -> None:
        try:
            session.get(
                f"{sandbox.url}/customers",
                headers={"Authorization": f"Bearer {sandbox.tokens['full']}"},
                timeout=10,
            )
        except requests.RequestException as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    sandbox.stop()
    thread.join(10)
    session.close()
    assert time.monotonic() - started < 5
    assert not thread.is_alive()
