"""Incremental reading of a newest-first list: what is new since the bookmark, when to stop.

Every activity here is a normalized timestamp (``normalize_timestamp``): one fixed width
in UTC, so text order is time order and the first 19 characters are the whole second.
"""

from __future__ import annotations

import typing as t

from tap_homele.client import normalize_timestamp

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterable

#: State key, next to the bookmark: ``[customer id, activity]`` of the customers already
#: synced within the bookmark's second.
SYNCED_IN_BOOKMARK_SECOND = "synced_in_bookmark_second"

#: Length of the whole-second prefix of a normalized timestamp (``YYYY-MM-DDTHH:MM:SS``).
SECOND_PREFIX = 19


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
        bookmark: str | None,
        synced: Iterable[tuple[int, str]],
        logger: logging.Logger,
    ) -> None:
        """Start a window.

        Args:
            bookmark: Normalized activity already synced up to; None syncs everything.
            synced: ``(customer id, activity)`` already synced within the bookmark's second.
            logger: Where the out-of-order warning goes.
        """
        self.bookmark = bookmark
        self._floor = None if bookmark is None else bookmark[:SECOND_PREFIX]
        self._synced = {
            customer_id: normalize_timestamp(activity) for customer_id, activity in synced
        }
        self._logger = logger
        self._previous_second: str | None = None
        self._order_seen = False
        self._activity_seen = False
        self.order_broken = False
        self.exhausted = False
        self.newest: str | None = None
        self._synced_in_newest_second: dict[int, str] = {}

    def select(  # noqa: C901
        self, rows: list[dict[str, t.Any]], server_time: str | None
    ) -> list[dict[str, t.Any]]:
        """Return the rows of one page that are new, in page order.

        Args:
            rows: One page of list items, timestamps normalized.
            server_time: When the server answered (its ``Date`` header), normalized, if known.

        Returns:
            The rows to sync.
        """
        # One pass per page with the window's state in locals: this runs for every customer.
        server_second = None if server_time is None else server_time[:SECOND_PREFIX]
        floor, synced = self._floor, self._synced
        bookmark = self.bookmark or ""  # set whenever floor is
        previous = self._previous_second
        newest = self.newest
        newest_second = None if newest is None else newest[:SECOND_PREFIX]
        selected = []
        for row in rows:
            activity: str | None = row.get("last_activity_at")
            if activity is None:
                if floor is None:
                    selected.append(row)
                continue
            second = activity[:SECOND_PREFIX]
            customer_id = int(row["id"])
            if previous is not None:
                self._order_seen = True
                if second > previous and not self.order_broken:
                    self._report_out_of_order(customer_id)
            previous = second
            if floor is not None and (
                second < floor or (activity <= bookmark and synced.get(customer_id) == activity)
            ):
                continue
            selected.append(row)
            # The newest activity selected, and who was synced in its second after it ended.
            if newest is None or newest_second is None or second > newest_second:
                newest, newest_second = activity, second
                self._synced_in_newest_second = {}
            elif second < newest_second:
                continue
            elif activity > newest:
                newest = activity
            if server_second is not None and server_second > second:
                self._synced_in_newest_second[customer_id] = activity
        if previous is not None:
            self._activity_seen = True
        self._previous_second, self.newest = previous, newest
        if rows and floor is not None:
            last = rows[-1].get("last_activity_at")
            ends_before = self._activity_seen if last is None else last[:SECOND_PREFIX] < floor
            self.exhausted = ends_before and self._order_seen and not self.order_broken
        return selected

    def synced_at(self, bookmark: str | None) -> list[list[int | str]]:
        """What the next run's state should hold next to ``bookmark``.

        Args:
            bookmark: The (normalized) bookmark this run leaves in its state.

        Returns:
            ``[customer id, activity]`` of the customers synced within its second, up to it.
        """
        if bookmark is None:
            return []
        bookmark = normalize_timestamp(bookmark)
        second = bookmark[:SECOND_PREFIX]
        synced: dict[int, str] = {}
        if self._floor == second:
            synced.update(self._synced)
        if self.newest is not None and self.newest[:SECOND_PREFIX] == second:
            synced.update(self._synced_in_newest_second)
        return [
            [customer_id, activity]
            for customer_id, activity in sorted(synced.items())
            if activity <= bookmark
        ]

    def progress(self) -> str | None:
        """The newest activity synced so far, never behind the bookmark it started from."""
        if self.newest is None or self.bookmark is None:
            return self.newest
        return max(self.newest, self.bookmark)

    def _report_out_of_order(self, customer_id: int) -> None:
        # Whole seconds only: a server may sort by fractions it does not show.
        self.order_broken = True
        self._logger.warning(
            "Homele listed customers out of newest-first order (customer %s is newer than "
            "the one before it); reading the whole list this run instead of stopping at "
            "the bookmark.",
            customer_id,
        )
