"""The embedded Redis's memory cap: frames and other keys with a lifetime make room, Celery's queues never."""

from __future__ import annotations

import subprocess

import redis

from system import embedded_redis
from system.runner import plan


def test_a_full_embedded_redis_evicts_frames_and_keeps_the_queues(tmp_path):
    socket_path = tmp_path / "redis.sock"
    command = embedded_redis.command(socket_path, tmp_path, maxmemory_mb=16)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        embedded_redis.wait_until_ready(f"unix://{socket_path}", process=process)
        client = redis.Redis(unix_socket_path=str(socket_path))
        client.rpush("detect", *(b"task" * 256 for _ in range(1000)))  # a queue: no lifetime
        jpeg = b"\xff" * 300_000
        for number in range(200):  # 60 MB of frames into 16 MB
            client.set(f"vigil:frame:1:{number}", jpeg, ex=300)
        used = client.info("memory")
        assert used["maxmemory"] == 16 * 1024 * 1024 and used["used_memory"] <= used["maxmemory"] * 1.1
        assert client.llen("detect") == 1000  # nothing of the queue went
        kept = sum(1 for _ in client.scan_iter("vigil:frame:*"))
        assert 0 < kept < 60 and client.exists("vigil:frame:1:199")  # the newest frames stay, the oldest went
        client.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_embedded_run_caps_its_redis_at_the_setting(settings, tmp_path):
    settings.EMBEDDED_REDIS, settings.EMBEDDED_REDIS_MAXMEMORY_MB = True, 256
    settings.EMBEDDED_REDIS_SOCKET = tmp_path / "redis.sock"  # not the test run's own Redis
    [redis_child] = [child for child in plan(host="127.0.0.1", port=8000) if child.name == "redis"]
    command = " ".join(redis_child.argv)
    assert "--maxmemory 256mb" in command and "--maxmemory-policy volatile-lru" in command
