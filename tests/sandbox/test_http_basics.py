"""Envelope, auth, permissions, routing and tenancy over real HTTP."""

from __future__ import annotations

import http.client
from typing import TYPE_CHECKING

import pytest

from tap_homele.sandbox import TOKEN_NAMES, Sandbox
from tests.sandbox.sandbox_helpers import ClientFactory, SandboxFactory, walk

if TYPE_CHECKING:
    import requests

LIST_FIELDS = [
    "id",
    "name",
    "email",
    "phone",
    "lead_status",
    "owner",
    "lead_source",
    "priority",
    "created_at",
    "updated_at",
    "last_activity_at",
]
DETAIL_FIELDS = [*LIST_FIELDS, "occupation", "real_estate_types", "lead_status_history"]


def test_list_envelope(sandbox: Sandbox, client: requests.Session) -> None:
    response = client.get(f"{sandbox.url}/customers", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"success", "data", "meta"}
    assert body["success"] is True
    assert set(body["meta"]) == {"per_page", "next_cursor", "prev_cursor", "has_more"}
    assert body["meta"]["per_page"] == 25
    assert body["meta"]["has_more"] is True
    assert isinstance(body["meta"]["next_cursor"], str)
    assert body["meta"]["prev_cursor"] is None
    assert len(body["data"]) == 25
    for row in body["data"]:
        assert list(row) == LIST_FIELDS
    assert body["data"] == sandbox.truth()[:25]


def test_detail_envelope(sandbox: Sandbox, client: requests.Session) -> None:
    first = sandbox.truth()[0]
    response = client.get(f"{sandbox.url}/customers/{first['id']}", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"}
    assert body["success"] is True
    assert list(body["data"]) == DETAIL_FIELDS
    assert body["data"] == sandbox.truth_details()[first["id"]]
    assert {k: body["data"][k] for k in LIST_FIELDS} == first


def test_keep_alive_and_content_length(sandbox: Sandbox) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=10)
    headers = {"Authorization": f"Bearer {sandbox.tokens['full']}"}
    try:
        sockets = set()
        for path in ("/customers?per_page=3", "/customers/1", "/nope", "/customers?per_page=0"):
            connection.request("GET", f"/api/v2/crm{path}", headers=headers)
            sockets.add(id(connection.sock))
            response = connection.getresponse()
            body = response.read()
            assert response.version == 11
            assert int(response.headers["Content-Length"]) == len(body)
            assert response.headers.get("Connection", "").lower() != "close"
        assert len(sockets) == 1  # one keep-alive connection served every request
        connection.request(
            "GET", "/api/v2/crm/customers", headers={**headers, "Connection": "close"}
        )
        response = connection.getresponse()
        response.read()
        assert response.headers["Connection"] == "close"
    finally:
        connection.close()


@pytest.mark.parametrize("name", ["revoked", "expired"])
def test_revoked_and_expired_tokens_are_401(
    sandbox: Sandbox, make_client: ClientFactory, name: str
) -> None:
    response = make_client(sandbox, name).get(f"{sandbox.url}/customers", timeout=10)
    assert response.status_code == 401
    assert response.json() == {"success": False, "message": "Unauthenticated."}
    assert sandbox.request_log[-1].token_name == name


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token {full}",
        "Bearer {secret}",
        "Bearer 12|short",
        "Bearer abc|{secret}",
        "Bearer 999999|" + "A" * 40,
        "Bearer {full}x",
    ],
)
def test_bad_authorization_is_401(
    sandbox: Sandbox, make_client: ClientFactory, header: str | None
) -> None:
    session = make_client(sandbox, token=None)
    full = sandbox.tokens["full"]
    headers = {}
    if header is not None:
        headers["Authorization"] = header.format(full=full, secret=full.split("|")[1])
    for path in ("/customers", f"/customers/{sandbox.truth()[0]['id']}"):
        response = session.get(f"{sandbox.url}{path}", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json() == {"success": False, "message": "Unauthenticated."}


def test_bearer_scheme_is_case_insensitive(sandbox: Sandbox, make_client: ClientFactory) -> None:
    session = make_client(sandbox, token=None)
    headers = {"Authorization": f"bearer {sandbox.tokens['full']}"}
    assert session.get(f"{sandbox.url}/customers", headers=headers, timeout=10).status_code == 200


def test_missing_permission_is_403(sandbox: Sandbox, make_client: ClientFactory) -> None:
    session = make_client(sandbox, "no_permission")
    for path in ("/customers", f"/customers/{sandbox.truth()[0]['id']}"):
        response = session.get(f"{sandbox.url}{path}", timeout=10)
        assert response.status_code == 403
        body = response.json()
        assert body["success"] is False
        assert body["message"] == "This action is unauthorized."


def test_auth_is_checked_before_validation(sandbox: Sandbox, make_client: ClientFactory) -> None:
    session = make_client(sandbox, "revoked")
    response = session.get(f"{sandbox.url}/customers", params={"per_page": 0}, timeout=10)
    assert response.status_code == 401
    session = make_client(sandbox, "no_permission")
    response = session.get(f"{sandbox.url}/customers", params={"cursor": "!!"}, timeout=10)
    assert response.status_code == 403


def test_unknown_routes_are_404_json(sandbox: Sandbox, client: requests.Session) -> None:
    for path in ("/deals", "/customers/abc", "/customers/1/notes", "", "/"):
        response = client.get(f"{sandbox.url}{path}", timeout=10)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["success"] is False
    response = client.get(sandbox.url.replace("/api/v2/crm", "/api/v1/crm/customers"), timeout=10)
    assert response.status_code == 404


def test_unknown_and_deleted_customer_is_404(sandbox: Sandbox, client: requests.Session) -> None:
    response = client.get(f"{sandbox.url}/customers/999999", timeout=10)
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Customer not found."}
    victim = sandbox.truth()[3]["id"]
    assert client.get(f"{sandbox.url}/customers/{victim}", timeout=10).status_code == 200
    assert sandbox.delete([victim]) == [victim]
    assert client.get(f"{sandbox.url}/customers/{victim}", timeout=10).status_code == 404


def test_trailing_slash_is_tolerated(sandbox: Sandbox, client: requests.Session) -> None:
    assert client.get(f"{sandbox.url}/customers/", timeout=10).status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_non_get_is_405(sandbox: Sandbox, client: requests.Session, method: str) -> None:
    for path in ("/customers", f"/customers/{sandbox.truth()[0]['id']}"):
        response = client.request(method, f"{sandbox.url}{path}", json={"a": 1}, timeout=10)
        assert response.status_code == 405
        assert response.json()["success"] is False
        assert response.headers["Allow"] == "GET"
    # the connection is still in sync after a request with a body
    assert client.get(f"{sandbox.url}/customers", timeout=10).status_code == 200


def test_tenants_are_isolated(sandbox: Sandbox, make_client: ClientFactory) -> None:
    mine = {row["id"] for row in sandbox.truth(1)}
    theirs = {row["id"] for row in sandbox.truth(2)}
    assert len(mine) == 120
    assert len(theirs) == 12
    assert not mine & theirs
    other = make_client(sandbox, "other_company")
    seen = {row["id"] for row in walk(other, sandbox.url, {"per_page": 100})}
    assert seen == theirs
    full = make_client(sandbox, "full")
    assert {row["id"] for row in walk(full, sandbox.url, {"per_page": 100})} == mine
    some_mine, some_theirs = min(mine), min(theirs)
    assert other.get(f"{sandbox.url}/customers/{some_mine}", timeout=10).status_code == 404
    assert full.get(f"{sandbox.url}/customers/{some_theirs}", timeout=10).status_code == 404
    assert other.get(f"{sandbox.url}/customers/{some_theirs}", timeout=10).status_code == 200


def test_empty_company(sandbox: Sandbox, make_client: ClientFactory) -> None:
    response = make_client(sandbox, "empty_company").get(f"{sandbox.url}/customers", timeout=10)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": [],
        "meta": {"per_page": 25, "next_cursor": None, "prev_cursor": None, "has_more": False},
    }
    assert sandbox.truth(3) == []


def test_token_shapes(sandbox: Sandbox) -> None:
    assert tuple(sandbox.tokens) == TOKEN_NAMES
    assert len(set(sandbox.tokens.values())) == len(TOKEN_NAMES)
    for token in sandbox.tokens.values():
        token_id, secret = token.split("|")
        assert token_id.isdigit()
        assert len(secret) == 40
        assert secret.isalnum()
        assert secret.isascii()


def test_company_two_size(make_sandbox: SandboxFactory) -> None:
    assert len(make_sandbox(customers=30).truth(2)) == 5
    assert len(make_sandbox(customers=0).truth(1)) == 0


def test_url_and_port(sandbox: Sandbox) -> None:
    assert sandbox.url == f"http://127.0.0.1:{sandbox.port}/api/v2/crm"
    assert sandbox.port > 0


def test_not_started() -> None:
    sandbox = Sandbox(customers=5)
    with pytest.raises(RuntimeError):
        _ = sandbox.url
    sandbox.stop()  # harmless
    with Sandbox(customers=5, port=0) as started:
        assert started.url.startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError):
        _ = started.url


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="fault"):
        Sandbox(customers=1, fault_kinds=["boom"])
    with pytest.raises(ValueError, match="fault"):
        Sandbox(customers=1, faults_at={1: "boom"})
    with pytest.raises(ValueError, match="order"):
        Sandbox(customers=1, order="sideways")
