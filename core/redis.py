"""The process' shared Redis client: frames between stages, the detect line, locks, limits and caches."""

from __future__ import annotations

import redis
from django.conf import settings

REDIS_TIMEOUT_SECONDS = 5
# More than a web process' concurrent requests need at once; beyond it a caller waits (bounded).
REDIS_MAX_CONNECTIONS = 64
_client: redis.Redis | None = None


def redis_client() -> redis.Redis:
    """The process' shared client: a bounded pool, and no call (connect, read, waiting for a free
    connection) that can wait more than a few seconds on a Redis that went away."""
    global _client
    if _client is None:
        pool = redis.BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            max_connections=REDIS_MAX_CONNECTIONS,
            timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            health_check_interval=30,
        )
        _client = redis.Redis(connection_pool=pool)
    return _client
