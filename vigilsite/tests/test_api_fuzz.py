"""Schemathesis against the live API: generated requests (valid and invalid) to every operation.

A real daphne serves the test database; the schema is fetched from ``/api/schema/`` as a client
would. The run is bounded (examples per operation, a fixed seed so a failure reproduces) and fails
on any 5xx and on any response the schema does not describe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.services import api_token_issue
from cameras.tests.factories import CameraFactory
from conftest import AsgiServer
from detection.models import CountSample
from events.models import ThreatRule
from events.services import event_open_system
from events.workflow import event_transition

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
EXAMPLES = os.environ.get("VIGIL_FUZZ_EXAMPLES", "25")
SEED = os.environ.get("VIGIL_FUZZ_SEED", "20261122")


def _seed_city(user) -> None:
    """Something behind every endpoint: cameras (one with credentials), events in each state, a rule, counts."""
    gate = CameraFactory(source_url="rtsp://operator:s3cret@10.0.0.7/stream", name="North gate", district="Centrum")
    CameraFactory(source_url="http://10.0.0.8/snapshot.jpg", name="Market", district="Oost")
    ThreatRule.objects.create(name="Crowd at the gate", labels=["person"], min_count=3, severity="high")
    for number in range(3):
        event = event_open_system(camera=gate, label=f"fault-{number}", title=f"Fault {number}", detail="",
                                  severity="high")  # fmt: skip
        if number:
            event_transition(event=event, action="acknowledge", user=user)
    now = timezone.now()
    CountSample.objects.bulk_create(
        CountSample(camera=gate, captured_at=now - timedelta(minutes=m), counts={"person": m % 5}, total=m % 5)
        for m in range(30)
    )


@pytest.mark.timeout(900)
def test_generated_requests_get_no_server_error_and_match_the_schema(redis_url, transactional_db, make_user, tmp_path):
    admin = make_user("fuzz-admin", "Administrators")
    _seed_city(admin)
    _, key = api_token_issue(user=admin)
    har = tmp_path / "fuzz.har"
    # The run sends thousands of requests with one token; the throttle is tested on its own.
    # DEBUG off, as deployed: errors are what a client meets in production, not debug pages.
    server = AsgiServer(redis_url, VIGIL_API_THROTTLE_RATE="1000000/min", VIGIL_DEBUG="false")
    server.start()
    try:
        command = [
            str(Path(sys.executable).with_name("schemathesis")), "run", f"{server.url}/api/schema/",
            "--header", f"Authorization: Token {key}", "--checks", CHECKS, "--max-examples", EXAMPLES,
            "--seed", SEED, "--workers", "1", "--request-timeout", "30", "--report", "har",
            "--report-har-path", str(har),
        ]  # fmt: skip
        run = subprocess.run(
            command,
            cwd=tmp_path,  # its example cache stays out of the repository and out of the next run
            capture_output=True,
            text=True,
            timeout=840,
            env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
        )
    finally:
        server.stop()
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-12000:]
    entries = json.loads(har.read_text())["log"]["entries"]
    assert len(entries) > 500, output[-4000:]  # it really ran
    # Whatever was asked, no answer carried the camera's credentials.
    answers = [entry["response"]["content"].get("text", "") for entry in entries]
    assert not [text for text in answers if "s3cret" in text]
