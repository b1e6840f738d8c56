"""One bad row never stops the others: loops over rows (beat entries, frames, rules, events to
escalate, channels) skip the row that raises, with a logged error, and go on.

An outage is different: with the database or Redis away every row would fail the same way, so
it is raised for the caller's retry (the detect task waits for the database, beat reconnects).
"""

from __future__ import annotations

import redis
from django.db import InterfaceError, OperationalError

# The database or Redis is away (or the connection broke): not the row's fault.
OUTAGES: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, redis.RedisError)


def is_outage(exc: BaseException) -> bool:
    return isinstance(exc, OUTAGES)
