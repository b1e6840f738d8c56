"""A private PostgreSQL server for a fault test, which stops and starts it at will."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from vigilsite.testing import free_port


class PrivatePostgres:
    """``initdb`` in a temporary folder; as root, the server runs as the ``postgres`` user."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
        if not found:
            pytest.fail("PostgreSQL is not installed: run bin/setup --test")
        self.bin = Path(found[-1])
        self.folder = Path(tempfile.mkdtemp(prefix="vigil-pg-fault-"))
        self.port = free_port()
        self.url = f"postgres://vigil@127.0.0.1:{self.port}/vigil"
        if os.getuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.folder / "data"), "-U", "vigil", "-A", "trust", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-w", "-o", options, "start"
        )

    def create_database(self) -> None:
        self._run("createdb", "-h", str(self.folder), "-p", str(self.port), "-U", "vigil", "vigil")

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as when the server is restarted."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
