"""What a user sees when something is wrong: one clear line, the right exit code, no secret."""

from __future__ import annotations

import json
import typing as t

import pytest

from tests.conftest import (
    API,
    catalog_file,
    catalog_selecting,
    fake_server_config,
    run_tap,
    run_tap_cli,
    tap_config,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    from pytest_httpserver import HTTPServer

    from tap_homele.sandbox import Sandbox


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "Sync failed:" in line]


@pytest.mark.parametrize("token", ["revoked", "expired"])
def test_rejected_token_fails_fast_with_one_actionable_line(
    fresh_sandbox: Sandbox, tmp_path: Path, token: str
) -> None:
    fresh_sandbox.reset_log()
    result = run_tap_cli(tap_config(fresh_sandbox, token=token), tmp_path)

    assert result.exit_code == 1
    [line] = _error_lines(result.stderr)
    assert "401" in line
    assert "Settings > API Integration" in line
    assert "Traceback" not in result.stderr
    assert fresh_sandbox.stats()["total"] == 1
    assert fresh_sandbox.tokens[token] not in result.stderr + json.dumps(result.messages)


def test_unknown_token_is_a_401(fresh_sandbox: Sandbox, tmp_path: Path) -> None:
    result = run_tap_cli(tap_config(fresh_sandbox, api_token="99|NotARealTokenAtAll"), tmp_path)
    assert result.exit_code == 1
    assert "401" in _error_lines(result.stderr)[0]
    assert "NotARealTokenAtAll" not in result.stderr


def test_token_without_permission_names_the_permission(
    fresh_sandbox: Sandbox, tmp_path: Path
) -> None:
    fresh_sandbox.reset_log()
    result = run_tap_cli(tap_config(fresh_sandbox, token="no_permission"), tmp_path)

    assert result.exit_code == 1
    [line] = _error_lines(result.stderr)
    assert "403" in line
    assert "customer:read" in line
    assert fresh_sandbox.stats()["total"] == 1


def _page(rows: list[dict[str, t.Any]], *, next_cursor: str | None, has_more: bool) -> dict:
    return {
        "success": True,
        "data": rows,
        "meta": {
            "per_page": 100,
            "next_cursor": next_cursor,
            "prev_cursor": None,
            "has_more": has_more,
        },
    }


def _customer(customer_id: int, **extra: t.Any) -> dict[str, t.Any]:
    return {
        "id": customer_id,
        "name": f"Customer {customer_id}",
        "email": None,
        "phone": None,
        "lead_status": {"id": 1, "name": "New"},
        "owner": None,
        "lead_source": None,
        "priority": None,
        "created_at": "2026-01-01T10:00:00Z",
        "updated_at": "2026-01-02T10:00:00+02:00",
        "last_activity_at": f"2026-03-{30 - customer_id:02d}T10:00:00.5Z",
        **extra,
    }


def _detail(customer_id: int) -> dict[str, t.Any]:
    return {
        "success": True,
        "data": {
            **_customer(customer_id),
            "occupation": None,
            "real_estate_types": [],
            "lead_status_history": [],
        },
    }


def test_deleted_customer_is_skipped_with_one_warning(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request(f"{API}/customers").respond_with_json(
        _page([_customer(1), _customer(2), _customer(3)], next_cursor=None, has_more=False)
    )
    httpserver.expect_request(f"{API}/customers/1").respond_with_json(_detail(1))
    httpserver.expect_request(f"{API}/customers/2").respond_with_json(
        {"success": False, "message": "Customer not found."}, status=404
    )
    httpserver.expect_request(f"{API}/customers/3").respond_with_json(_detail(3))

    result = run_tap(fake_server_config(httpserver, max_retries=0))

    assert result.exit_code == 0
    assert [r["id"] for r in result.records["customers"]] == [1, 2, 3]
    assert [r["id"] for r in result.records["customer_details"]] == [1, 3]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    deleted = [message for message in warnings if "deleted" in message]
    assert len(deleted) == 1
    assert "Customer 2 " in deleted[0]


def test_invalid_filter_422_names_the_setting(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(f"{API}/customers").respond_with_json(
        {
            "success": False,
            "message": "The given data was invalid.",
            "errors": {"filter.date_from": ["The filter.date from is not a valid date."]},
        },
        status=422,
    )
    result = run_tap_cli(
        fake_server_config(httpserver, max_retries=0, created_from="2026-01-01"), tmp_path
    )

    assert result.exit_code == 1
    [line] = _error_lines(result.stderr)
    assert "422" in line
    assert "created_from" in line
    assert "The filter.date from is not a valid date." in line


def test_other_client_errors_are_fatal_with_status_and_message(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request(f"{API}/customers").respond_with_json(
        {"success": False, "message": "Company suspended."}, status=410
    )
    result = run_tap_cli(fake_server_config(httpserver, max_retries=0), tmp_path)

    assert result.exit_code == 1
    [line] = _error_lines(result.stderr)
    assert "410" in line
    assert "Company suspended." in line
    assert len(httpserver.log) == 1


def test_has_more_false_ends_paging_even_with_a_cursor(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"{API}/customers").respond_with_json(
        _page([_customer(1), _customer(2)], next_cursor="eyJpZCI6Mn0", has_more=False)
    )
    result = run_tap(
        fake_server_config(httpserver, max_retries=0), catalog=catalog_selecting({"customers"})
    )

    assert [r["id"] for r in result.records["customers"]] == [1, 2]
    assert len([req for req, _ in httpserver.log if req.path == f"{API}/customers"]) == 1


def test_a_cursor_seen_before_stops_the_run_instead_of_looping(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    pages = {
        "": _page([_customer(1)], next_cursor="A", has_more=True),
        "A": _page([_customer(2)], next_cursor="B", has_more=True),
        "B": _page([_customer(3)], next_cursor="A", has_more=True),
    }

    def handler(request: t.Any) -> t.Any:
        from werkzeug import Response  # noqa: PLC0415

        body = pages[request.args.get("cursor", "")]
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(f"{API}/customers").respond_with_handler(handler)
    result = run_tap_cli(
        fake_server_config(httpserver, max_retries=0),
        tmp_path,
        "--catalog",
        str(catalog_file(tmp_path, {"customers"})),
    )

    assert result.exit_code == 1
    [line] = _error_lines(result.stderr)
    assert "cursor" in line
    assert "already" in line
    list_requests = [req for req, _ in httpserver.log if req.path == f"{API}/customers"]
    assert [req.args.get("cursor") for req in list_requests] == [None, "A", "B"]


def test_unknown_fields_are_reported_once_per_stream(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [_customer(i, nickname=f"n{i}", vip=True) for i in (1, 2, 3)]
    httpserver.expect_request(f"{API}/customers").respond_with_json(
        _page(rows, next_cursor=None, has_more=False)
    )
    for i in (1, 2, 3):
        httpserver.expect_request(f"{API}/customers/{i}").respond_with_json(_detail(i))

    result = run_tap(fake_server_config(httpserver, max_retries=0))

    assert len(result.records["customers"]) == 3
    assert "nickname" not in result.records["customers"][0]
    reports = [r.getMessage() for r in caplog.records if "nickname" in r.getMessage()]
    assert len(reports) == 1
    assert "customers" in reports[0]
    assert "vip" in reports[0]


def test_redirect_is_refused_and_the_token_never_follows_it(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    from pytest_httpserver import HTTPServer as Server  # noqa: PLC0415

    other_host = Server(host="127.0.0.2", port=0)
    other_host.start()
    try:
        other_host.expect_request(f"{API}/customers").respond_with_json(
            _page([_customer(1)], next_cursor=None, has_more=False)
        )
        httpserver.expect_request(f"{API}/customers").respond_with_data(
            "", status=302, headers={"Location": other_host.url_for(f"{API}/customers")}
        )
        config = fake_server_config(httpserver, max_retries=0)
        result = run_tap_cli(config, tmp_path)
        reached = list(other_host.log)
    finally:
        other_host.clear()
        other_host.stop()

    assert result.exit_code == 1
    [line] = _error_lines(result.stderr)
    assert "302" in line
    assert "api_url" in line
    assert all("Authorization" not in req.headers for req, _ in reached)
    assert reached == []


def test_token_never_appears_in_output_even_at_debug_level(
    fresh_sandbox: Sandbox, tmp_path: Path
) -> None:
    full = run_tap_cli(tap_config(fresh_sandbox, page_size=50), tmp_path, env={"LOGLEVEL": "DEBUG"})
    revoked = run_tap_cli(
        tap_config(fresh_sandbox, token="revoked"), tmp_path, env={"LOGLEVEL": "DEBUG"}
    )

    assert full.exit_code == 0
    assert len(full.records["customers"]) == 250
    assert "DEBUG" in full.stderr
    for result, token in ((full, "full"), (revoked, "revoked")):
        secret = fresh_sandbox.tokens[token].split("|", 1)[1]
        output = result.stderr + json.dumps(result.messages)
        assert secret not in output


def test_connection_test_with_a_rejected_token_is_one_line_too(
    fresh_sandbox: Sandbox, tmp_path: Path
) -> None:
    result = run_tap_cli(tap_config(fresh_sandbox, token="revoked"), tmp_path, "--test")

    assert result.exit_code == 1
    [line] = [line for line in result.stderr.splitlines() if "Connection test failed:" in line]
    assert "401" in line
    assert "Traceback" not in result.stderr


def test_the_environments_proxy_settings_are_honoured(
    fresh_sandbox: Sandbox, tmp_path: Path
) -> None:
    # A proxy that is not there: every request must go to it, none to the API.
    config = tap_config(fresh_sandbox, max_retries=0, page_size=100)
    catalog = str(catalog_file(tmp_path, {"customers"}))
    nowhere = {"HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    nowhere |= {name.lower(): value for name, value in nowhere.items()}
    result = run_tap_cli(config, tmp_path, "--catalog", catalog, env=nowhere)
    assert result.exit_code == 1
    assert "connection failed" in _error_lines(result.stderr)[0]
    assert fresh_sandbox.stats()["total"] == 0

    # Exempted by NO_PROXY: straight to the API.
    direct = {"HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}
    direct |= {name.lower(): value for name, value in direct.items()}
    result = run_tap_cli(config, tmp_path, "--catalog", catalog, env=direct)
    assert result.exit_code == 0
    truth = {row["id"] for row in fresh_sandbox.truth(company=1)}
    assert {row["id"] for row in result.records["customers"]} == truth


@pytest.mark.parametrize("where", ["list", "history"])
def test_a_timestamp_that_is_not_one_stops_the_sync_with_one_line(
    httpserver: HTTPServer, tmp_path: Path, where: str
) -> None:
    customers = [_customer(1), _customer(2)]
    detail = _detail(1)
    if where == "list":
        customers[1]["updated_at"] = "next tuesday"
    else:
        entry = {"id": 7, "from_status": None, "to_status": None, "changed_by": None}
        detail["data"]["lead_status_history"] = [{**entry, "changed_at": "31/02/2026"}]
    httpserver.expect_request(f"{API}/customers").respond_with_json(
        _page(customers, next_cursor=None, has_more=False)
    )
    httpserver.expect_request(f"{API}/customers/1").respond_with_json(detail)
    httpserver.expect_request(f"{API}/customers/2").respond_with_json(_detail(2))

    result = run_tap_cli(fake_server_config(httpserver, max_retries=0), tmp_path)

    assert result.exit_code == 1
    [line] = _error_lines(result.stderr)
    if where == "list":
        assert "updated_at 'next tuesday' for customers id 2" in line
        assert result.records.get("customers", []) == []  # the page is not half emitted
    else:
        assert "changed_at '31/02/2026' for customer_details id 1" in line
    assert "Traceback" not in result.stderr
