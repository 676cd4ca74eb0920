"""The incremental window on server behaviours the sandbox does not produce."""

from __future__ import annotations

import logging
import typing as t

from tap_homele.client import normalize_timestamp
from tap_homele.incremental import NewestFirstWindow

LOGGER = logging.getLogger("test-window")
BOOKMARK = "2026-03-01T12:00:00.900000+00:00"
LATER = "2026-03-01T12:00:05.000000+00:00"


def _row(customer_id: int, activity: str | None) -> dict[str, t.Any]:
    """A list row as the stream hands it to the window: timestamps normalized."""
    return {"id": customer_id, "last_activity_at": activity and normalize_timestamp(activity)}


def _run(
    window: NewestFirstWindow, pages: list[list[dict[str, t.Any]]], server_time: str
) -> list[int]:
    selected = []
    for page in pages:
        selected += [row["id"] for row in window.select(page, server_time)]
        if window.exhausted:
            break
    return selected


def test_customers_without_activity_listed_first_do_not_end_paging() -> None:
    window = NewestFirstWindow(BOOKMARK, [], LOGGER)
    nulls_first = [_row(i, None) for i in (99, 98, 97)]
    newer = [_row(5, "2026-03-02T00:00:00Z"), _row(4, "2026-03-01T13:00:00Z")]
    older = [_row(3, "2026-02-01T00:00:00Z"), _row(2, "2026-01-01T00:00:00Z")]

    assert _run(window, [nulls_first, newer, older], LATER) == [5, 4]
    assert window.exhausted


def test_a_second_shared_by_several_customers_is_not_synced_again_and_again() -> None:
    # Three customers active in one second; the bookmark is the newest of them.
    page = [
        _row(3, "2026-03-01T12:00:00.900000+00:00"),
        _row(2, "2026-03-01T12:00:00.500000Z"),
        _row(1, "2026-03-01T12:00:00.100000Z"),
        _row(0, "2026-02-01T00:00:00Z"),
    ]
    first = NewestFirstWindow(None, [], LOGGER)
    assert _run(first, [page], LATER) == [3, 2, 1, 0]
    progress = first.progress()
    assert progress is not None
    bookmark = progress
    synced = first.synced_at(bookmark)

    for _ in range(3):  # idle runs: nothing changed on the server
        window = NewestFirstWindow(bookmark, synced, LOGGER)  # type: ignore[arg-type]
        assert _run(window, [page], LATER) == []
        assert window.progress() is None
        synced = window.synced_at(bookmark)
        assert sorted(customer_id for customer_id, _ in synced) == [1, 2, 3]


def test_a_change_within_a_second_still_open_on_the_server_is_taken_again() -> None:
    whole_seconds = [_row(7, "2026-03-01T12:00:00Z"), _row(6, "2026-02-01T00:00:00Z")]
    same_second = "2026-03-01T12:00:00.000000+00:00"
    first = NewestFirstWindow(None, [], LOGGER)
    _run(first, [whole_seconds], same_second)  # read while 12:00:00 was still running
    progress = first.progress()
    assert progress is not None
    bookmark = progress
    assert first.synced_at(bookmark) == []

    # Customer 7 changed again later in that second; it still reads 12:00:00.
    window = NewestFirstWindow(bookmark, first.synced_at(bookmark), LOGGER)
    assert _run(window, [whole_seconds], LATER) == [7]
    assert window.synced_at(bookmark) == [[7, "2026-03-01T12:00:00.000000+00:00"]]


def test_sub_second_order_the_server_does_not_show_is_not_called_out_of_order() -> None:
    window = NewestFirstWindow("2026-01-01T00:00:00.000000+00:00", [], LOGGER)
    same_second_rising_ids = [
        _row(1, "2026-03-01T12:00:00Z"),
        _row(2, "2026-03-01T12:00:00Z"),
        _row(3, "2025-12-01T00:00:00Z"),
    ]
    assert _run(window, [same_second_rising_ids], LATER) == [1, 2]
    assert not window.order_broken
    assert window.exhausted
