"""Fixtures for the homele-sandbox tests: real servers on free ports, real HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import requests

from tap_homele.sandbox import Sandbox

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.sandbox.sandbox_helpers import ClientFactory, SandboxFactory


@pytest.fixture
def make_sandbox() -> Iterator[SandboxFactory]:
    """Start sandboxes (small and unthrottled unless told otherwise); stop them all after."""
    started: list[Sandbox] = []

    def factory(**kwargs: Any) -> Sandbox:
        kwargs.setdefault("customers", 120)
        kwargs.setdefault("rate_limit", 0)
        sandbox = Sandbox(**kwargs).start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: SandboxFactory) -> Sandbox:
    return make_sandbox()


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """Keep-alive sessions authenticated with a named token (or none); closed after."""
    sessions: list[requests.Session] = []

    def factory(sandbox: Sandbox, token: str | None = "full") -> requests.Session:  # noqa: S107
        session = requests.Session()
        if token is not None:
            session.headers["Authorization"] = f"Bearer {sandbox.tokens[token]}"
        sessions.append(session)
        return session

    yield factory
    for session in sessions:
        session.close()


@pytest.fixture
def client(sandbox: Sandbox, make_client: ClientFactory) -> requests.Session:
    return make_client(sandbox)
