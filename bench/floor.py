"""The bare-loop floor: requests + stdlib json, follow cursors, one Singer RECORD per row.

It does only what any tap must do (fetch, decode, write a line), so the tap's cost above it
is what the SDK and our code add. ``--details`` also fetches every customer's detail and
writes its lead-status history rows, the floor for a sync of all three streams. Usage::

    python bench/floor.py URL TOKEN [--details]
"""

from __future__ import annotations

import json
import sys

import requests


def main() -> int:
    url, token = sys.argv[1], sys.argv[2]
    details = "--details" in sys.argv[3:]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    out = sys.stdout
    params: dict[str, str | int] = {"per_page": 100}
    while True:
        page = json.loads(session.get(f"{url}/customers", params=params, timeout=60).content)
        for row in page["data"]:
            out.write(json.dumps({"type": "RECORD", "stream": "customers", "record": row}) + "\n")
            if details:
                response = session.get(f"{url}/customers/{row['id']}", timeout=60)
                detail = json.loads(response.content)["data"]
                record = {"type": "RECORD", "stream": "customer_details", "record": detail}
                out.write(json.dumps(record) + "\n")
                for entry in detail["lead_status_history"]:
                    history = {"customer_id": detail["id"], **entry}
                    record = {"type": "RECORD", "stream": "lead_status_history", "record": history}
                    out.write(json.dumps(record) + "\n")
        if not page["meta"]["has_more"]:
            return 0
        params["cursor"] = page["meta"]["next_cursor"]


if __name__ == "__main__":
    sys.exit(main())
