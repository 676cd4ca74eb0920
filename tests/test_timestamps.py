"""Timestamp normalization: its fast paths agree with plain datetime arithmetic."""

from __future__ import annotations

import datetime
import random

import pytest

from tap_homele.client import normalize_timestamp, parse_timestamp

FORMS = [
    "2026-10-31T23:58:16.652093Z",
    "2026-10-31T23:58:16Z",
    "2026-10-31T23:58:16.5Z",
    "2026-10-31T23:58:16.652+00:00",
    "2026-10-31T23:58:16.652093+00:00",
    "2026-10-31T18:59:39.430025-05:00",
    "2026-10-31T18:59:39+05:30",
    "2026-10-31T18:59:39",
    "2026-10-31 18:59:39.000000Z",
    "2026-W09-1T12:00:00.000000Z",
    "2026-10-31X23:58:16.652093Z",
    "2026-10-31T23:58-16.652093Z",
    "2026-13-01T12:00:00.000000Z",
]


def _reference(value: str) -> str | None:
    """The slow, obviously right rendering; None for what is not a timestamp."""
    try:
        parsed = parse_timestamp(value)
    except ValueError:
        return None
    return parsed.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")


def _normalized(value: str) -> str | None:
    try:
        return normalize_timestamp(value)
    except ValueError:
        return None


def _mutations(count: int) -> list[str]:
    """Near misses of the forms the API uses: what a fast path could wave through."""
    rng = random.Random(20261204)
    alphabet = "0123456789-:T.Z+ W,x"
    values = []
    for _ in range(count):
        chars = list(rng.choice(FORMS[:5]))
        for _ in range(rng.choice([1, 1, 2, 3])):
            i = rng.randrange(len(chars))
            edit = rng.random()
            if edit < 0.6:
                chars[i] = rng.choice(alphabet)
            elif edit < 0.8:
                del chars[i]
            else:
                chars.insert(i, rng.choice(alphabet))
        values.append("".join(chars))
    return values


@pytest.mark.parametrize("value", FORMS)
def test_each_form_renders_as_plain_datetime_arithmetic_does(value: str) -> None:
    assert _normalized(value) == _reference(value)


def test_near_misses_are_converted_or_refused_never_passed_through() -> None:
    values = _mutations(20_000)
    disagreements = [v for v in values if _normalized(v) != _reference(v)]
    assert disagreements == []
    # The mutations do reach both outcomes, so the comparison means something.
    assert sum(_reference(v) is None for v in values) > 1000
    assert sum(_reference(v) is not None for v in values) > 1000


def test_one_width_in_utc_so_text_order_is_time_order() -> None:
    values = ["2026-10-31T23:58:16Z", "2026-10-31T18:59:39.4-05:00", "2026-10-31T23:58:16.5Z"]
    normalized = [normalize_timestamp(v) for v in values]
    assert {len(v) for v in normalized} == {32}
    assert sorted(normalized) == [
        normalize_timestamp(v) for v in sorted(values, key=parse_timestamp)
    ]
