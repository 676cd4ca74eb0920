"""The request budget on its own: spacing across threads, pauses, stopping."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tap_homele.client import PACING_MARGIN, RequestBudget, SyncStoppedError


def test_threads_share_one_evenly_spaced_budget() -> None:
    budget = RequestBudget(6000)  # a slot every 10 ms
    interval = 60 * PACING_MARGIN / 6000
    sent: list[float] = []
    lock = threading.Lock()

    def send_ten() -> None:
        for _ in range(10):
            budget.acquire()
            with lock:
                sent.append(time.monotonic())

    with ThreadPoolExecutor(4) as pool:
        for _ in range(4):
            pool.submit(send_ten)
    sent.sort()
    assert budget.requests == len(sent) == 40
    # No burst: 40 requests take 39 slots, however the threads raced.
    assert sent[-1] - sent[0] >= 39 * interval * 0.98


def test_a_pause_holds_back_a_request_already_waiting_for_its_slot() -> None:
    budget = RequestBudget(60)  # a slot every 1.01 s
    budget.acquire()
    done: list[float] = []
    waiter = threading.Thread(target=lambda: (budget.acquire(), done.append(time.monotonic())))
    waiter.start()
    time.sleep(0.2)
    paused_at = time.monotonic()
    budget.pause_for(1.5)  # a 429 arrives while the request waits for its slot
    waiter.join(5)
    assert done
    assert done[0] - paused_at >= 1.5


def test_stop_wakes_a_request_waiting_for_its_slot() -> None:
    budget = RequestBudget(1)  # a slot every minute
    budget.acquire()
    errors: list[BaseException] = []

    def wait_for_the_next_slot() -> None:
        with pytest.raises(SyncStoppedError) as raised:
            budget.acquire()
        errors.append(raised.value)

    waiter = threading.Thread(target=wait_for_the_next_slot)
    waiter.start()
    time.sleep(0.1)
    stopped_at = time.monotonic()
    budget.stop()
    waiter.join(5)
    assert errors
    assert time.monotonic() - stopped_at < 1
    assert budget.requests == 1
