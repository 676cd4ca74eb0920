"""Incremental reading of a newest-first list: what is new since the bookmark, when to stop."""

from __future__ import annotations

import typing as t

from tap_homele.client import format_timestamp, parse_timestamp

if t.TYPE_CHECKING:
    import datetime
    import logging
    from collections.abc import Iterable

#: State key, next to the bookmark: ``[customer id, activity]`` of the customers already
#: synced within the bookmark's second.
SYNCED_IN_BOOKMARK_SECOND = "synced_in_bookmark_second"


def _second(value: datetime.datetime) -> datetime.datetime:
    return value.replace(microsecond=0)


class NewestFirstWindow:
    """Selects the customers changed since the bookmark from pages listed newest first.

    A row is new when its activity is later than the bookmark. Within the bookmark's second
    a row is new unless that very customer was synced with that very activity: the API may
    render timestamps without fractions, so "same second" is not "same change". A customer
    counts as synced within a second only when it was read after that second had passed on
    the server's clock (the ``Date`` header), so a later change in the same second is never
    mistaken for the one already synced.

    Paging may stop once a page ends before the bookmark, but only after the order has been
    seen to be newest first; any row out of order makes the whole list be read. Rows with no
    activity end paging only after rows with activity have been seen (a server may list them
    first).
    """

    def __init__(
        self,
        bookmark: datetime.datetime | None,
        synced: Iterable[tuple[int, str]],
        logger: logging.Logger,
    ) -> None:
        """Start a window.

        Args:
            bookmark: Activity already synced up to; None syncs everything.
            synced: ``(customer id, activity)`` already synced within the bookmark's second.
            logger: Where the out-of-order warning goes.
        """
        self.bookmark = bookmark
        self._floor = None if bookmark is None else _second(bookmark)
        self._synced = {customer_id: parse_timestamp(activity) for customer_id, activity in synced}
        self._logger = logger
        self._previous_key: datetime.datetime | None = None
        self._order_seen = False
        self._activity_seen = False
        self.order_broken = False
        self.exhausted = False
        self.newest: datetime.datetime | None = None
        self._synced_in_newest_second: dict[int, datetime.datetime] = {}

    def select(
        self, rows: list[dict[str, t.Any]], server_time: datetime.datetime | None
    ) -> list[dict[str, t.Any]]:
        """Return the rows of one page that are new, in page order.

        Args:
            rows: One page of list items, as the API sent them.
            server_time: When the server answered (its ``Date`` header), if it said.

        Returns:
            The rows to sync.
        """
        selected = []
        for row in rows:
            raw = row.get("last_activity_at")
            activity = parse_timestamp(raw) if raw else None
            customer_id = int(row["id"])
            self._check_order(activity, customer_id)
            if self._is_new(activity, customer_id):
                selected.append(row)
                if activity is not None:
                    self._track_newest(activity, customer_id, server_time)
        if rows and self._floor is not None:
            last = rows[-1].get("last_activity_at")
            ends_before = (
                self._activity_seen if last is None else parse_timestamp(last) < self._floor
            )
            self.exhausted = ends_before and self._order_seen and not self.order_broken
        return selected

    def _is_new(self, activity: datetime.datetime | None, customer_id: int) -> bool:
        if self.bookmark is None or self._floor is None:
            return True
        if activity is None or activity < self._floor:
            return False
        return activity > self.bookmark or self._synced.get(customer_id) != activity

    def _track_newest(
        self, activity: datetime.datetime, customer_id: int, server_time: datetime.datetime | None
    ) -> None:
        second = _second(activity)
        if self.newest is None or second > _second(self.newest):
            self._synced_in_newest_second = {}
        elif second < _second(self.newest):
            return
        self.newest = activity if self.newest is None else max(self.newest, activity)
        if server_time is not None and _second(server_time) > second:
            self._synced_in_newest_second[customer_id] = activity

    def synced_at(self, bookmark: str | None) -> list[list[int | str]]:
        """What the next run's state should hold next to ``bookmark``.

        Args:
            bookmark: The bookmark this run leaves in its state.

        Returns:
            ``[customer id, activity]`` of the customers synced within its second, up to it.
        """
        if bookmark is None:
            return []
        value = parse_timestamp(bookmark)
        synced: dict[int, datetime.datetime] = {}
        if self._floor == _second(value):
            synced.update(self._synced)
        if self.newest is not None and _second(self.newest) == _second(value):
            synced.update(self._synced_in_newest_second)
        return [
            [customer_id, format_timestamp(activity)]
            for customer_id, activity in sorted(synced.items())
            if activity <= value
        ]

    def progress(self) -> datetime.datetime | None:
        """The newest activity synced so far, never behind the bookmark it started from."""
        if self.newest is None:
            return None
        return self.newest if self.bookmark is None else max(self.newest, self.bookmark)

    def _check_order(self, activity: datetime.datetime | None, customer_id: int) -> None:
        # Rows with no activity sit first or last depending on the server: they take no part.
        # Whole seconds only: a server may sort by fractions it does not show.
        if activity is None:
            return
        self._activity_seen = True
        key = _second(activity)
        previous, self._previous_key = self._previous_key, key
        if previous is None:
            return
        self._order_seen = True
        if key > previous and not self.order_broken:
            self.order_broken = True
            self._logger.warning(
                "Homele listed customers out of newest-first order (customer %s is newer than "
                "the one before it); reading the whole list this run instead of stopping at "
                "the bookmark.",
                customer_id,
            )
