"""The Singer SDK's standard tap tests, in-process, against a real sandbox over HTTP."""

from __future__ import annotations

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_homele.sandbox import Sandbox
from tap_homele.tap import TapHomele
from tests.conftest import UNTHROTTLED_RPM

# The generated tests call the API while pytest collects them, so the server starts here.
SANDBOX = Sandbox(customers=120, seed=3, rate_limit=0).start()

TestTapHomele = get_tap_test_class(
    TapHomele,
    config={
        "api_url": SANDBOX.url,
        "api_token": SANDBOX.tokens["full"],
        "requests_per_minute": UNTHROTTLED_RPM,
        "page_size": 50,
    },
    suite_config=SuiteConfig(max_records_limit=None),
    parse_env_config=False,
)


def teardown_module() -> None:
    SANDBOX.stop()
