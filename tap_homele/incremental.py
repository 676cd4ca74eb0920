"""Incremental reading of a newest-first list: what is new since the bookmark, when to stop."""

from __future__ import annotations

import datetime
import typing as t

from tap_homele.client import parse_timestamp

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Collection

_NEVER = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)

#: State key, next to the bookmark, naming the customers synced at exactly the bookmark.
IDS_AT_BOOKMARK = "ids_at_bookmark"


class NewestFirstWindow:
    """Selects the customers changed since the bookmark from pages listed newest first.

    A row is new when its activity is later than the bookmark. Rows within the bookmark's
    second are taken again unless they are the very rows synced at the bookmark: the API may
    render timestamps without fractions, so "same second" is not "same change".
    Paging may stop once a page ends before the bookmark, but only after the order has
    been seen to be newest first; any row out of order makes the whole list be read.
    """

    def __init__(
        self,
        bookmark: datetime.datetime | None,
        ids_at_bookmark: Collection[int],
        logger: logging.Logger,
    ) -> None:
        """Start a window.

        Args:
            bookmark: Activity already synced up to; None syncs everything.
            ids_at_bookmark: Customers synced with activity exactly at the bookmark.
            logger: Where the out-of-order warning goes.
        """
        self.bookmark = bookmark
        self._floor = None if bookmark is None else bookmark.replace(microsecond=0)
        self._ids_at_bookmark = frozenset(ids_at_bookmark)
        self._logger = logger
        self._previous_key: tuple[bool, datetime.datetime, int] | None = None
        self._order_seen = False
        self.order_broken = False
        self.exhausted = False
        self.newest: datetime.datetime | None = None
        self.ids_at_newest: set[int] = set()

    def select(self, rows: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """Return the rows of one page that are new, in page order.

        Args:
            rows: One page of list items, as the API sent them.

        Returns:
            The rows to sync.
        """
        selected = []
        for row in rows:
            raw = row.get("last_activity_at")
            activity = parse_timestamp(raw) if raw else None
            self._check_order(activity, int(row["id"]))
            if self._is_new(activity, int(row["id"])):
                selected.append(row)
                self._track_newest(activity, int(row["id"]))
        if rows and self._floor is not None:
            last = rows[-1].get("last_activity_at")
            ends_before = last is None or parse_timestamp(last) < self._floor
            self.exhausted = ends_before and self._order_seen and not self.order_broken
        return selected

    def _is_new(self, activity: datetime.datetime | None, customer_id: int) -> bool:
        if self.bookmark is None or self._floor is None:
            return True
        if activity is None or activity < self._floor:
            return False
        return not (activity == self.bookmark and customer_id in self._ids_at_bookmark)

    def _track_newest(self, activity: datetime.datetime | None, customer_id: int) -> None:
        if activity is None or (self.newest is not None and activity < self.newest):
            return
        if activity != self.newest:
            self.newest = activity
            self.ids_at_newest = set()
        self.ids_at_newest.add(customer_id)

    def ids_at(self, bookmark: str | None) -> list[int]:
        """The customers synced at exactly ``bookmark``, for the next run's state.

        Args:
            bookmark: The bookmark this run leaves in its state.

        Returns:
            Their ids; empty when no synced customer has exactly that activity (the
            bookmark was capped at the sync start).
        """
        if bookmark is None:
            return []
        value = parse_timestamp(bookmark)
        ids: set[int] = set()
        if value == self.bookmark:
            ids |= self._ids_at_bookmark
        if value == self.newest:
            ids |= self.ids_at_newest
        return sorted(ids)

    def _check_order(self, activity: datetime.datetime | None, customer_id: int) -> None:
        key = (activity is not None, activity or _NEVER, customer_id)
        previous, self._previous_key = self._previous_key, key
        if previous is None:
            return
        self._order_seen = True
        if key > previous and not self.order_broken:
            self.order_broken = True
            self._logger.warning(
                "Homele listed customers out of newest-first order (customer %s after %s); "
                "reading the whole list this run instead of stopping at the bookmark.",
                customer_id,
                previous[2],
            )
