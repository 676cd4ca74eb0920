"""Print what a sync landed in a DuckDB warehouse: rows per table and lead status moves.

Run with a Python that has duckdb, e.g. target-duckdb's plugin venv::

    .meltano/loaders/target-duckdb/venv/bin/python scripts/warehouse_summary.py warehouse.duckdb
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import duckdb  # type: ignore[import-not-found, unused-ignore]

if TYPE_CHECKING:
    from collections.abc import Sequence

TABLES = ("customers", "customer_details", "lead_status_history")

#: Customers who moved into each lead status during the last calendar month of the data
#: (the month of the newest change: the sandbox's clock stands still at 2026-11-01).
MOVES_SQL = """
WITH month AS (
    SELECT date_trunc('month', max(changed_at)) AS first_day
    FROM {schema}.lead_status_history
)
SELECT
    strftime(month.first_day, '%Y-%m') AS month,
    coalesce(h.to_status ->> 'name', '(unknown)') AS moved_into,
    count(DISTINCT h.customer_id) AS customers,
    count(*) AS moves
FROM {schema}.lead_status_history AS h, month
WHERE h.changed_at >= month.first_day
  AND h.changed_at < month.first_day + INTERVAL 1 MONTH
GROUP BY ALL
ORDER BY customers DESC, moved_into
"""


def table(rows: Sequence[Sequence[object]], header: tuple[str, ...]) -> str:
    """Rows as an aligned text table."""
    cells = [tuple(str(value) for value in row) for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for index, row in enumerate(cells):
        lines.append(
            "  ".join(
                value.rjust(width) if value.lstrip("-").isdigit() else value.ljust(width)
                for value, width in zip(row, widths, strict=True)
            ).rstrip()
        )
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(f"    {line}" for line in lines)


def main(argv: list[str] | None = None) -> int:
    """Print the summary.

    Returns:
        0, or 1 when a table is missing or empty.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="DuckDB database file")
    parser.add_argument("--schema", default="homele")
    args = parser.parse_args(argv)
    with duckdb.connect(args.database, read_only=True) as connection:
        counts = []
        for name in TABLES:
            try:
                (count,) = connection.execute(
                    f"SELECT count(*) FROM {args.schema}.{name}"  # noqa: S608
                ).fetchone()
            except duckdb.CatalogException:
                count = 0
            counts.append((f"{args.schema}.{name}", count))
        sys.stdout.write("Rows per table:\n" + table(counts, ("table", "rows")) + "\n\n")
        if any(count == 0 for _, count in counts):
            sys.stdout.write("A table is missing or empty: the sync did not land everything.\n")
            return 1
        moves = connection.execute(MOVES_SQL.format(schema=args.schema)).fetchall()
        month = moves[0][0] if moves else "-"
        sys.stdout.write(
            f"Customers who moved into each lead status in {month} "
            "(the last month with changes):\n"
            + table([row[1:] for row in moves], ("lead status", "customers", "moves"))
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
