# Copyright 2026 tap-homele developers. SPDX-License-Identifier: Apache-2.0
"""Deterministic fake CRM data: customers, their ordering, rendering and cursors.

Everything here is pure Python and independent of HTTP. Instants are kept as integer
microseconds since the Unix epoch (UTC); each customer renders its timestamps in one of
several ISO-8601 styles, and its stored instants are truncated to that style's precision so
the order the server uses is exactly the order a client can derive from what it sees.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import itertools
import json
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

US = 1_000_000
DAY_US = 86_400 * US
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: Fixed "now" of the generated data set, so the data is reproducible.
REFERENCE = datetime(2026, 11, 1, tzinfo=timezone.utc)
REFERENCE_US = int(REFERENCE.timestamp()) * US
HISTORY_SPAN_DAYS = 730

COMPANY_ID_BASE = {1: 1, 2: 1_000_001, 3: 2_000_001}

LEAD_STATUSES: dict[int, str] = {
    1: "New",
    2: "Contacted",
    3: "Qualified",
    4: "Viewing scheduled",
    5: "Offer made",
    6: "Won",
    7: "Lost",
}
LEAD_SOURCES: dict[int, str] = {
    1: "Website",
    2: "Referral",
    3: "Walk-in",
    4: "Portal",
    5: "Facebook",
    6: "Phone",
}
PRIORITIES: dict[int, str] = {1: "Low", 2: "Medium", 3: "High"}
OCCUPATIONS: dict[int, str] = {
    1: "Engineer",
    2: "Teacher",
    3: "Doctor",
    4: "Lawyer",
    5: "Accountant",
    6: "Nurse",
    7: "Architect",
    8: "Sales manager",
    9: "Civil servant",
    10: "Student",
    11: "Retired",
    12: "Entrepreneur",
}
REAL_ESTATE_TYPES: dict[int, str] = {
    1: "Apartment",
    2: "House",
    3: "Villa",
    4: "Land",
    5: "Office",
    6: "Shop",
    7: "Warehouse",
    8: "Parking",
}
#: CRM users (customer owners, history authors) per company.
USERS: dict[int, dict[int, str]] = {
    1: {
        3: "Maria Papadopoulou",
        4: "Nikos Georgiou",
        7: "Eleni Nikolaou",
        9: "John Carter",
        12: "Sofia Ioannou",
        15: "Dimitris Vlachos",
        18: "Anna Schmidt",
        21: "Kostas Karras",
    },
    2: {101: "Laura Bianchi", 102: "Peter Novak", 105: "Ioanna Pappa", 108: "Tom Reid"},
    3: {201: "Solo Admin"},
}

FIRST_NAMES = (
    "Giorgos",
    "Maria",
    "Nikos",
    "Eleni",
    "Dimitris",
    "Katerina",
    "Kostas",
    "Sofia",
    "Yannis",
    "Anna",
    "Panagiotis",
    "Ioanna",
    "Vasilis",
    "Georgia",
    "Christos",
    "Despina",
    "Michalis",
    "Angeliki",
    "Thanasis",
    "Vasiliki",
    "Stavros",
    "Eirini",
    "Alexandros",
    "Christina",
    "Spyros",
    "Dimitra",
    "Manolis",
    "Paraskevi",
    "Andreas",
    "Konstantina",
    "Petros",
    "Athina",
    "Lefteris",
    "Evangelia",
    "Stelios",
    "Chrysa",
    "Apostolos",
    "Foteini",
    "Theodoros",
    "Zoe",
    "Antonis",
    "Marina",
    "Pavlos",
    "Olga",
    "Ilias",
    "Kalliopi",
    "Makis",
    "Roula",
    "Fotis",
    "Niki",
    "John",
    "Mary",
    "James",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Helen",
    "Steven",
    "Sandra",
    "Paul",
    "Ashley",
    "Andrew",
    "Emily",
    "Joshua",
    "Donna",
    "Kevin",
    "Michelle",
    "Brian",
    "Carol",
    "Luca",
    "Giulia",
    "Hans",
    "Ingrid",
    "Pierre",
    "Amélie",
    "José",
    "Zoë",
    "Björn",
    "Chloé",
    "Seán",
    "Noémie",
)
LAST_NAMES = (
    "Papadopoulos",
    "Papadopoulou",
    "Georgiou",
    "Nikolaou",
    "Ioannou",
    "Vlachos",
    "Karras",
    "Pappas",
    "Oikonomou",
    "Dimitriou",
    "Konstantinou",
    "Christodoulou",
    "Athanasiou",
    "Makris",
    "Alexiou",
    "Antoniou",
    "Vasileiou",
    "Stavrou",
    "Petrou",
    "Mavridis",
    "Kyriakou",
    "Panagiotou",
    "Theodorou",
    "Giannakopoulos",
    "Angelopoulos",
    "Michailidis",
    "Economou",
    "Lambrou",
    "Sotiriou",
    "Kotsis",
    "Tsakalos",
    "Raptis",
    "Zervas",
    "Galanis",
    "Laskaris",
    "Manolakis",
    "Spanos",
    "Kritikos",
    "Kalogeropoulos",
    "Drakos",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "O'Brien",
    "Müller",
    "Rossi",
    "Dubois",
    "Van-Dijk",
    "Nowak",
    "Kowalski",
    "Fernández",
    "Ødegaard",
)
EMAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.gr",
    "hotmail.com",
    "outlook.com",
    "otenet.gr",
    "example.com",
    "mail.example.org",
)

#: Timestamp styles: (UTC offset in minutes, fractional digits, "Z" for a zero offset).
STYLES: tuple[tuple[int, int, bool], ...] = (
    (0, 6, True),  # Laravel's default: 2026-02-03T10:11:12.000000Z
    (0, 0, True),  # 2026-02-03T10:11:12Z
    (0, 0, False),  # 2026-02-03T10:11:12+00:00
    (180, 0, False),  # 2026-02-03T13:11:12+03:00
    (120, 3, False),  # 2026-02-03T12:11:12.123+02:00
    (0, 1, False),  # 2026-02-03T10:11:12.5+00:00
    (-300, 6, False),  # 2026-02-03T05:11:12.123456-05:00
    (330, 0, False),  # 2026-02-03T15:41:12+05:30
    (180, 6, False),  # 2026-02-03T13:11:12.123456+03:00
)
STYLE_WEIGHTS = (40, 12, 8, 10, 6, 6, 6, 4, 8)

_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})"
)
_CURSOR_KEYS = frozenset({"last_activity_at", "id", "_pointsToNextItems"})


def ref(pool: dict[int, str], key: int | None) -> dict[str, Any] | None:
    """Render an ``{id, name}`` reference (or None).

    Args:
        pool: The lookup table the id belongs to.
        key: The id, or None.

    Returns:
        The reference dict, or None.
    """
    if key is None:
        return None
    return {"id": key, "name": pool[key]}


def truncate(instant: int, precision: int) -> int:
    """Truncate an instant (microseconds) to ``precision`` fractional digits.

    Args:
        instant: Microseconds since the epoch.
        precision: Number of fractional second digits kept (0..6).

    Returns:
        The truncated instant.
    """
    unit: int = 10 ** (6 - precision)
    return instant - instant % unit


def _style_suffix(offset: int, zulu: bool) -> str:  # noqa: FBT001
    if zulu and offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


_STYLE_PARTS = tuple(
    (offset * 60 * US, precision, _style_suffix(offset, zulu)) for offset, precision, zulu in STYLES
)
_DAYS: dict[int, str] = {}


def render(instant: int, style: int) -> str:
    """Render an instant as ISO-8601 in the given style.

    Args:
        instant: Microseconds since the epoch (already truncated to the style's precision).
        style: Index into :data:`STYLES`.

    Returns:
        The timestamp string.
    """
    shift, precision, suffix = _STYLE_PARTS[style]
    secs, frac = divmod(instant + shift, US)
    days, rem = divmod(secs, 86_400)
    day = _DAYS.get(days)
    if day is None:
        day = date.fromordinal(EPOCH_ORDINAL + days).isoformat()
        _DAYS[days] = day
    text = f"{day}T{rem // 3600:02d}:{rem // 60 % 60:02d}:{rem % 60:02d}"
    if precision:
        return f"{text}.{frac:06d}"[: len(text) + 1 + precision] + suffix
    return text + suffix


def parse_instant(text: str) -> int | None:
    """Parse an ISO-8601 timestamp (as rendered by :func:`render`) to microseconds.

    Args:
        text: The timestamp.

    Returns:
        Microseconds since the epoch, or None when the text is not a valid timestamp.
    """
    match = _ISO_RE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        ordinal = date(int(year), int(month), int(day)).toordinal()
    except ValueError:
        return None
    if int(hour) > 23 or int(minute) > 59 or int(second) > 59:  # noqa: PLR2004
        return None
    offset = 0
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * (int(zone[1:3]) * 60 + int(zone[4:6]))
    secs = (ordinal - EPOCH_ORDINAL) * 86_400 + int(hour) * 3600 + int(minute) * 60 + int(second)
    micros = int((frac or "0").ljust(6, "0")[:6])
    return (secs - offset * 60) * US + micros


def utc_day_start(day: date) -> int:
    """Return the instant (microseconds) at which a UTC calendar day starts.

    Args:
        day: The calendar day.

    Returns:
        Microseconds since the epoch.
    """
    return (day.toordinal() - EPOCH_ORDINAL) * DAY_US


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("Ø", "O").replace("ø", "o"))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def _string(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


def _ref_json(pool: dict[int, str]) -> dict[int | None, str]:
    table: dict[int | None, str] = {
        key: json.dumps(ref(pool, key), separators=(",", ":")) for key in pool
    }
    table[None] = "null"
    return table


_REF_JSON: dict[str, dict[int | None, str]] = {
    "lead_status": _ref_json(LEAD_STATUSES),
    "lead_source": _ref_json(LEAD_SOURCES),
    "priority": _ref_json(PRIORITIES),
    **{f"owner{company}": _ref_json(users) for company, users in USERS.items()},
}


class Customer:
    """One customer, with lazily rendered and cached JSON."""

    __slots__ = (
        "_detail_json",
        "_extra",
        "_list_json",
        "activity",
        "company",
        "created",
        "email",
        "hist_count",
        "hist_start",
        "id",
        "key",
        "lead_source",
        "lead_status",
        "name",
        "name_lower",
        "owner",
        "phone",
        "priority",
        "seed",
        "style",
        "updated",
    )

    def __init__(  # noqa: PLR0913
        self,
        *,
        cid: int,
        company: int,
        name: str,
        email: str | None,
        phone: str | None,
        lead_status: int | None,
        owner: int | None,
        lead_source: int | None,
        priority: int | None,
        style: int,
        created: int,
        updated: int,
        activity: int | None,
        hist_start: int,
        hist_count: int,
        seed: int,
    ) -> None:
        """Create a customer.

        Args:
            cid: Customer id.
            company: Owning company id.
            name: Full name.
            email: Email or None.
            phone: Phone or None.
            lead_status: Lead status id or None.
            owner: Owner (user) id or None.
            lead_source: Lead source id or None.
            priority: Priority id or None.
            style: Timestamp rendering style index.
            created: created_at instant (microseconds).
            updated: updated_at instant (microseconds).
            activity: last_activity_at instant (microseconds) or None.
            hist_start: Id of the first generated lead status history entry.
            hist_count: Number of generated history entries.
            seed: Data seed (the detail fields are generated lazily from it).
        """
        self.id = cid
        self.company = company
        self.name = name
        self.name_lower = name.lower()
        self.email = email
        self.phone = phone
        self.lead_status = lead_status
        self.owner = owner
        self.lead_source = lead_source
        self.priority = priority
        self.style = style
        self.created = created
        self.updated = updated
        self.activity = activity
        self.hist_start = hist_start
        self.hist_count = hist_count
        self.seed = seed
        self.key: tuple[int, int, int] = (0, 0, 0)
        self._extra: dict[str, Any] | None = None
        self._list_json: bytes | None = None
        self._detail_json: bytes | None = None

    @property
    def precision(self) -> int:
        """Fractional second digits of this customer's timestamps."""
        return STYLES[self.style][1]

    def invalidate(self) -> None:
        """Drop the cached JSON (after a mutation)."""
        self._list_json = None
        self._detail_json = None

    def rendered_activity(self) -> str | None:
        """Return last_activity_at exactly as serialized."""
        return None if self.activity is None else render(self.activity, self.style)

    def list_item(self) -> dict[str, Any]:
        """Return the list item as a dict (field order as serialized)."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "lead_status": ref(LEAD_STATUSES, self.lead_status),
            "owner": ref(USERS[self.company], self.owner),
            "lead_source": ref(LEAD_SOURCES, self.lead_source),
            "priority": ref(PRIORITIES, self.priority),
            "created_at": render(self.created, self.style),
            "updated_at": render(self.updated, self.style),
            "last_activity_at": self.rendered_activity(),
        }

    def list_json(self) -> bytes:
        """Return the serialized list item (cached; equal to the compact dump of list_item)."""
        if self._list_json is None:
            style = self.style
            activity = self.activity
            text = (
                f'{{"id":{self.id},"name":{_string(self.name)},"email":{_string(self.email)},'
                f'"phone":{_string(self.phone)},'
                f'"lead_status":{_REF_JSON["lead_status"][self.lead_status]},'
                f'"owner":{_REF_JSON[f"owner{self.company}"][self.owner]},'
                f'"lead_source":{_REF_JSON["lead_source"][self.lead_source]},'
                f'"priority":{_REF_JSON["priority"][self.priority]},'
                f'"created_at":"{render(self.created, style)}",'
                f'"updated_at":"{render(self.updated, style)}",'
                f'"last_activity_at":'
                f"{'null' if activity is None else chr(34) + render(activity, style) + chr(34)}}}"
            )
            self._list_json = text.encode()
        return self._list_json

    def extra(self) -> dict[str, Any]:
        """Return the detail-only fields, generating them on first use."""
        if self._extra is None:
            self._extra = self._generate_extra()
        return self._extra

    def detail(self) -> dict[str, Any]:
        """Return the detail dict (field order as serialized)."""
        item = self.list_item()
        extra = self.extra()
        item["occupation"] = ref(OCCUPATIONS, extra["occupation"])
        item["real_estate_types"] = [ref(REAL_ESTATE_TYPES, t) for t in extra["real_estate_types"]]
        users = USERS[self.company]
        item["lead_status_history"] = [
            {
                "id": entry["id"],
                "from_status": ref(LEAD_STATUSES, entry["from"]),
                "to_status": ref(LEAD_STATUSES, entry["to"]),
                "changed_by": ref(users, entry["by"]),
                "changed_at": render(entry["at"], self.style),
            }
            for entry in extra["history"]
        ]
        return item

    def detail_json(self) -> bytes:
        """Return the serialized detail (cached)."""
        if self._detail_json is None:
            self._detail_json = json.dumps(self.detail(), separators=(",", ":")).encode()
        return self._detail_json

    def _generate_extra(self) -> dict[str, Any]:
        rng = random.Random(f"homele-sandbox:{self.seed}:customer:{self.company}:{self.id}")  # noqa: S311
        occupation = None if rng.random() < 0.25 else rng.choice(list(OCCUPATIONS))  # noqa: PLR2004
        n_types = rng.choice((0, 1, 1, 1, 2, 2, 3))
        types = sorted(rng.sample(list(REAL_ESTATE_TYPES), n_types))
        history: list[dict[str, Any]] = []
        if self.hist_count and self.lead_status is not None:
            upper = self.activity if self.activity is not None else self.updated
            upper = max(upper, self.created)
            times = sorted(
                truncate(self.created + int((upper - self.created) * rng.random()), self.precision)
                for _ in range(self.hist_count - 1)
            )
            times.insert(0, self.created)
            chain = [self.lead_status]
            for _ in range(self.hist_count - 1):
                chain.append(rng.choice([s for s in LEAD_STATUSES if s != chain[-1]]))
            chain.reverse()
            users = list(USERS[self.company])
            previous: int | None = None
            for index, (status, at) in enumerate(zip(chain, times, strict=True)):
                by = None if rng.random() < 0.1 else rng.choice(users)  # noqa: PLR2004
                entry = {"id": self.hist_start + index, "from": previous, "to": status}
                history.append({**entry, "by": by, "at": at})
                previous = status
        return {"occupation": occupation, "real_estate_types": types, "history": history}


@dataclass(frozen=True)
class Cursor:
    """A decoded pagination cursor."""

    activity: int | None
    id: int
    forward: bool


def encode_cursor(customer: Customer, *, forward: bool) -> str:
    """Encode a Laravel-style cursor for a row.

    Args:
        customer: The row whose sort key the cursor carries.
        forward: True for a next-page cursor, False for a previous-page cursor.

    Returns:
        base64url (unpadded) JSON of the sort key.
    """
    payload = {
        "last_activity_at": customer.rendered_activity(),
        "id": customer.id,
        "_pointsToNextItems": forward,
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(text: str) -> Cursor | None:  # noqa: PLR0911
    """Decode a cursor.

    Args:
        text: The cursor as sent by the client.

    Returns:
        The cursor, or None when it is malformed.
    """
    text = text.strip()
    if not text or len(text) > 1024:  # noqa: PLR2004
        return None
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict) or set(payload) != _CURSOR_KEYS:
        return None
    cid = payload["id"]
    activity_text = payload["last_activity_at"]
    forward = payload["_pointsToNextItems"]
    if not isinstance(cid, int) or isinstance(cid, bool) or not isinstance(forward, bool):
        return None
    if activity_text is None:
        return Cursor(None, cid, forward)
    if not isinstance(activity_text, str):
        return None
    activity = parse_instant(activity_text)
    if activity is None:
        return None
    return Cursor(activity, cid, forward)


@dataclass
class Page:
    """One page of a list response."""

    rows: list[Customer]
    next_cursor: str | None
    prev_cursor: str | None


class Company:
    """The customers of one company, kept sorted in API order."""

    def __init__(self, company_id: int, *, ascending: bool) -> None:
        """Create an empty company.

        Args:
            company_id: The company id.
            ascending: True for the misbehaving oldest-first order.
        """
        self.id = company_id
        self.ascending = ascending
        self.customers: dict[int, Customer] = {}
        self.keys: list[tuple[int, int, int]] = []
        self.next_id = COMPANY_ID_BASE[company_id]
        self.deleted: set[int] = set()

    def sort_key(self, activity: int | None, cid: int) -> tuple[int, int, int]:
        """Return the ascending bisect key of a sort key in API order.

        Args:
            activity: last_activity_at instant or None.
            cid: Customer id.

        Returns:
            A tuple that sorts in the order the API lists rows.
        """
        if self.ascending:
            return (0, 0, cid) if activity is None else (1, activity, cid)
        return (1, 0, -cid) if activity is None else (0, -activity, -cid)

    def load(self, customers: Iterable[Customer]) -> None:
        """Bulk-load generated customers.

        Args:
            customers: Customers to add.
        """
        for customer in customers:
            customer.key = self.sort_key(customer.activity, customer.id)
            self.customers[customer.id] = customer
            self.next_id = max(self.next_id, customer.id + 1)
        self.keys = sorted(c.key for c in self.customers.values())

    def insert(self, customer: Customer) -> None:
        """Insert (or re-insert after a change) one customer.

        Args:
            customer: The customer, with its fields already set.
        """
        customer.key = self.sort_key(customer.activity, customer.id)
        bisect.insort(self.keys, customer.key)
        self.customers[customer.id] = customer

    def remove(self, customer: Customer) -> None:
        """Take one customer out of the order (and the id map).

        Args:
            customer: The customer.
        """
        index = bisect.bisect_left(self.keys, customer.key)
        del self.keys[index]
        del self.customers[customer.id]

    def ordered(self) -> list[Customer]:
        """Return all customers in API order."""
        return [self.customers[abs(key[2])] for key in self.keys]

    def max_activity(self) -> int | None:
        """Return the latest last_activity_at of any customer."""
        if not self.keys:
            return None
        if self.ascending:
            last = self.keys[-1]
            return last[1] if last[0] == 1 else None
        first = self.keys[0]
        return -first[1] if first[0] == 0 else None

    def page(
        self,
        cursor: Cursor | None,
        per_page: int,
        predicate: Callable[[Customer], bool] | None,
    ) -> Page:
        """Return one keyset page.

        Args:
            cursor: Decoded cursor, or None for the first page.
            per_page: Page size.
            predicate: Filter, or None for all rows.

        Returns:
            The page with its cursors.
        """
        keys = self.keys
        customers = self.customers
        if cursor is not None and not cursor.forward:
            end = bisect.bisect_left(keys, self.sort_key(cursor.activity, cursor.id))
            found: list[Customer] = []
            index = end - 1
            while index >= 0 and len(found) <= per_page:
                customer = customers[abs(keys[index][2])]
                if predicate is None or predicate(customer):
                    found.append(customer)
                index -= 1
            more_before = len(found) > per_page
            rows = found[:per_page]
            rows.reverse()
            return Page(
                rows=rows,
                next_cursor=encode_cursor(rows[-1], forward=True) if rows else None,
                prev_cursor=encode_cursor(rows[0], forward=False) if more_before else None,
            )
        start = 0
        if cursor is not None:
            start = bisect.bisect_right(keys, self.sort_key(cursor.activity, cursor.id))
        if predicate is None:
            rows = [customers[abs(key[2])] for key in keys[start : start + per_page + 1]]
        else:
            rows = []
            index = start
            total = len(keys)
            while index < total and len(rows) <= per_page:
                customer = customers[abs(keys[index][2])]
                if predicate(customer):
                    rows.append(customer)
                index += 1
        has_more = len(rows) > per_page
        rows = rows[:per_page]
        return Page(
            rows=rows,
            next_cursor=encode_cursor(rows[-1], forward=True) if has_more else None,
            prev_cursor=(
                encode_cursor(rows[0], forward=False) if cursor is not None and rows else None
            ),
        )


def _phone(rand: Callable[[], float]) -> str:  # noqa: PLR0911
    digits = f"{int(rand() * 10_000):04d}"
    mobile = f"69{int(rand() * 10)}{1_000_000 + int(rand() * 9_000_000)}"
    variant = int(rand() * 9)
    if variant == 0:
        return f"+30 210 555 {digits}"
    if variant == 1:
        return f"+30 {mobile[:3]} {mobile[3:6]} {mobile[6:]}"
    if variant == 2:  # noqa: PLR2004
        return f"+30{mobile}"
    if variant == 3:  # noqa: PLR2004
        return mobile
    if variant == 4:  # noqa: PLR2004
        return f"210 555{digits}"
    if variant == 5:  # noqa: PLR2004
        return f"(210) 555-{digits}"
    if variant == 6:  # noqa: PLR2004
        return f"+44 20 7946 {digits}"
    if variant == 7:  # noqa: PLR2004
        return f"+1 (555) 010-{digits}"
    return f"0030 2310 {digits}{10 + int(rand() * 90)}"


_ASCII_NAMES = {name: _ascii(name) for name in (*FIRST_NAMES, *LAST_NAMES)}


def _email(rand: Callable[[], float], first: str, last: str) -> str:
    f, la = _ASCII_NAMES[first], _ASCII_NAMES[last]
    domain = EMAIL_DOMAINS[int(rand() * len(EMAIL_DOMAINS))]
    variant = int(rand() * 6)
    if variant <= 1:
        local = f"{f}.{la}"
    elif variant == 2:  # noqa: PLR2004
        local = f"{f[0]}{la}"
    elif variant == 3:  # noqa: PLR2004
        local = f"{f}_{la}{1 + int(rand() * 99)}"
    elif variant == 4:  # noqa: PLR2004
        local = f"{la}.{f}"
    else:
        local = f"{f}{60 + int(rand() * 40)}"
    return f"{local}@{domain}"


class HistoryIds:
    """Allocator of globally unique lead status history ids."""

    def __init__(self) -> None:
        """Start at id 1."""
        self.next = 1

    def take(self, count: int) -> int:
        """Reserve ``count`` consecutive ids.

        Args:
            count: How many ids.

        Returns:
            The first reserved id.
        """
        first = self.next
        self.next += count
        return first


def generate_company(company: Company, count: int, seed: int, history_ids: HistoryIds) -> None:
    """Generate ``count`` customers for a company, deterministically from ``seed``.

    Args:
        company: The (empty) company to fill.
        count: Number of customers.
        seed: Data seed.
        history_ids: Allocator of history entry ids.
    """
    rng = random.Random(f"homele-sandbox:{seed}:company:{company.id}")  # noqa: S311
    users = list(USERS[company.id])
    statuses = list(LEAD_STATUSES)
    sources = list(LEAD_SOURCES)
    priorities = list(PRIORITIES)
    cumulative = list(itertools.accumulate(STYLE_WEIGHTS))
    total_weight = cumulative[-1]
    span = HISTORY_SPAN_DAYS * DAY_US
    rand = rng.random
    n_first, n_last = len(FIRST_NAMES), len(LAST_NAMES)
    hist_counts = (0, 1, 1, 2, 2, 3, 3, 4, 5, 6)
    customers: list[Customer] = []
    previous_activity: int | None = None
    first_id = company.next_id
    for offset in range(count):
        cid = first_id + offset
        # one draw stream per customer in id order: a smaller data set is a prefix of a larger
        style = bisect.bisect_right(cumulative, rand() * total_weight)
        precision = STYLES[style][1]
        first = FIRST_NAMES[int(rand() * n_first)]
        last = LAST_NAMES[int(rand() * n_last)]
        created = truncate(REFERENCE_US - DAY_US - int(span * rand()), precision)
        room = REFERENCE_US - created
        activity: int | None
        if rand() < 0.05:  # noqa: PLR2004
            activity = None
        elif previous_activity is not None and previous_activity >= created and rand() < 0.04:  # noqa: PLR2004
            activity = previous_activity  # a tie: several customers touched in the same second
        else:
            activity = truncate(created + int(room * rand() ** 0.5), precision)
        if activity is not None and rand() < 0.3:  # noqa: PLR2004
            # whole seconds, so another customer can share the instant whatever its style
            activity = max(truncate(activity, 0), created)
            previous_activity = activity if activity % US == 0 else None
        updated = truncate(created + int(room * rand()), precision)
        if activity is not None and rand() < 0.6:  # noqa: PLR2004
            updated = max(updated, activity)
        lead_status = None if rand() < 0.04 else statuses[int(rand() * len(statuses))]  # noqa: PLR2004
        hist_count = 0 if lead_status is None else hist_counts[int(rand() * len(hist_counts))]
        customers.append(
            Customer(
                cid=cid,
                company=company.id,
                name=f"{first} {last}",
                email=None if rand() < 0.12 else _email(rand, first, last),  # noqa: PLR2004
                phone=None if rand() < 0.15 else _phone(rand),  # noqa: PLR2004
                lead_status=lead_status,
                owner=None if rand() < 0.15 else users[int(rand() * len(users))],  # noqa: PLR2004
                lead_source=None if rand() < 0.2 else sources[int(rand() * len(sources))],  # noqa: PLR2004
                priority=None if rand() < 0.3 else priorities[int(rand() * len(priorities))],  # noqa: PLR2004
                style=style,
                created=created,
                updated=updated,
                activity=activity,
                hist_start=history_ids.take(hist_count),
                hist_count=hist_count,
                seed=seed,
            )
        )
    company.load(customers)


class Dataset:
    """All companies of the sandbox, with the mutations scripts and tests apply."""

    def __init__(self, *, customers: int, seed: int, ascending: bool, mutation_seed: int) -> None:
        """Generate the data set.

        Args:
            customers: Customers of company 1; company 2 gets ``max(5, customers // 10)``.
            seed: Data seed.
            ascending: True for the misbehaving oldest-first order.
            mutation_seed: Seed of the choices made by mutations.
        """
        self.seed = seed
        self.history_ids = HistoryIds()
        self.companies = {cid: Company(cid, ascending=ascending) for cid in COMPANY_ID_BASE}
        sizes = {1: customers, 2: max(5, customers // 10), 3: 0}
        for cid, company in self.companies.items():
            generate_company(company, sizes[cid], seed, self.history_ids)
        self.rng = random.Random(f"homele-sandbox:mutations:{mutation_seed}")  # noqa: S311

    def company(self, company: int) -> Company:
        """Return a company by id.

        Args:
            company: Company id (1, 2 or 3).

        Returns:
            The company.

        Raises:
            ValueError: For an unknown company.
        """
        try:
            return self.companies[company]
        except KeyError:
            msg = f"unknown company {company}"
            raise ValueError(msg) from None

    def _pick(self, company: Company, ids: Iterable[int] | None, count: int | None) -> list[int]:
        if ids is not None:
            chosen = list(dict.fromkeys(ids))
            missing = [cid for cid in chosen if cid not in company.customers]
            if missing:
                msg = f"no such customers in company {company.id}: {missing}"
                raise ValueError(msg)
            return chosen
        wanted = 1 if count is None else count
        if wanted < 0:
            msg = "count must not be negative"
            raise ValueError(msg)
        population = sorted(company.customers)
        return self.rng.sample(population, min(wanted, len(population)))

    @staticmethod
    def _after(company: Company, now: int, precision: int) -> int:
        """Return ``now`` truncated, but strictly after every existing last activity."""
        instant = truncate(now, precision)
        latest = company.max_activity()
        if latest is not None and instant <= latest:
            instant = truncate(latest + 10 ** (6 - precision), precision)
        return instant

    def touch(
        self, now: int, ids: Iterable[int] | None = None, count: int | None = None, company: int = 1
    ) -> list[int]:
        """Record new activity on customers: they move to the front of the list.

        Args:
            now: The current instant (microseconds).
            ids: Customers to touch, or None to pick ``count`` at random.
            count: How many random customers (default 1).
            company: Company id.

        Returns:
            The touched ids, in the order they were touched (the last is first in the list).
        """
        store = self.company(company)
        chosen = self._pick(store, ids, count)
        users = list(USERS[company])
        for cid in chosen:
            customer = store.customers[cid]
            extra = customer.extra()
            instant = max(self._after(store, now, customer.precision), customer.created)
            store.remove(customer)
            new_status = self.rng.choice([s for s in LEAD_STATUSES if s != customer.lead_status])
            extra["history"].append(
                {
                    "id": self.history_ids.take(1),
                    "from": customer.lead_status,
                    "to": new_status,
                    "by": self.rng.choice(users),
                    "at": instant,
                }
            )
            customer.lead_status = new_status
            customer.activity = instant
            customer.updated = max(customer.updated, instant)
            customer.invalidate()
            store.insert(customer)
        return chosen

    def add(self, now: int, count: int = 1, company: int = 1) -> list[int]:
        """Create new customers (created and active now, so first in the list).

        Args:
            now: The current instant (microseconds).
            count: How many.
            company: Company id.

        Returns:
            The new ids.
        """
        store = self.company(company)
        rng = self.rng
        users = list(USERS[company])
        added: list[int] = []
        for _ in range(count):
            cid = store.next_id
            store.next_id += 1
            style = rng.choices(range(len(STYLES)), weights=STYLE_WEIGHTS)[0]
            instant = self._after(store, now, STYLES[style][1])
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            customer = Customer(
                cid=cid,
                company=company,
                name=f"{first} {last}",
                email=_email(rng.random, first, last),
                phone=None if rng.random() < 0.2 else _phone(rng.random),  # noqa: PLR2004
                lead_status=1,
                owner=rng.choice(users),
                lead_source=rng.choice(list(LEAD_SOURCES)),
                priority=None if rng.random() < 0.5 else rng.choice(list(PRIORITIES)),  # noqa: PLR2004
                style=style,
                created=instant,
                updated=instant,
                activity=instant,
                hist_start=self.history_ids.take(1),
                hist_count=1,
                seed=self.seed,
            )
            store.insert(customer)
            added.append(cid)
        return added

    def delete(
        self, ids: Iterable[int] | None = None, count: int | None = None, company: int = 1
    ) -> list[int]:
        """Delete customers: gone from the list, their detail answers 404.

        Args:
            ids: Customers to delete, or None to pick ``count`` at random.
            count: How many random customers (default 1).
            company: Company id.

        Returns:
            The deleted ids.
        """
        store = self.company(company)
        chosen = self._pick(store, ids, count)
        for cid in chosen:
            store.remove(store.customers[cid])
            store.deleted.add(cid)
        return chosen
