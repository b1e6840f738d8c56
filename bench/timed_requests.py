"""Time one GET through the whole Django stack in this process, as the bench scripts report it."""

from __future__ import annotations

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def timed_get(client: Client, url: str, runs: int):
    """Ask ``url`` once to warm up, then ``runs`` times; returns the last response, its query count
    and the text ``median p95 max`` in milliseconds."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) >= 2 else times[0]
    return response, len(queries), f"{statistics.median(times):7.0f}ms {p95:7.0f}ms {max(times):7.0f}ms"
