"""The signed evidence export: what the ZIP holds, that its signature and hashes check with the README's
recipes (Python and openssl), that a changed manifest fails, the history entry, and who may export."""

from __future__ import annotations

import hashlib
import io
import json
import re
import stat
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import api_token_issue
from cameras.tests.factories import CameraFactory
from core import snapshots
from core.vision import Detection
from events.models import EventAction
from recordings.evidence import evidence_key_path, evidence_private_key
from recordings.services import event_clip_cut
from recordings.tests.segments import detection_event, recorded

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"
ROLES = [("anonymous", None), ("no role", ""), ("viewer", "Viewers"), ("operator", "Operators"),
         ("auditor", "Auditors"), ("administrator", "Administrators")]  # fmt: skip
EXPORT = [401, 403, 403, 200, 403, 200]
PUBLIC_KEY = [401, 200, 200, 200, 200, 200]


@pytest.fixture(autouse=True)
def _own_key(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"  # each test makes its own evidence key, away from the real one


@pytest.fixture
def scene(concourse_segments, media_dir, settings):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="continuous")
    segments = recorded(camera, concourse_segments[:4], ended_at=timezone.now() - timedelta(minutes=1))
    event = detection_event(camera, first_seen=segments[1].ended_at, last_seen=segments[2].started_at)
    video = cv2.VideoCapture(str(media_dir / "concourse.mp4"))
    ok, frame = video.read()
    video.release()
    assert ok
    people = [Detection("person", 0.91, (0.2, 0.3, 0.3, 0.8)), Detection("person", 0.84, (0.5, 0.3, 0.6, 0.9))]
    event.snapshot.save("s.jpg", snapshots.jpeg_file(frame), save=False)
    annotated = snapshots.annotate(frame, matched=people, others=[], zone=[])
    event.annotated_snapshot.save("a.jpg", snapshots.jpeg_file(annotated), save=False)
    event.detections = [{"label": d.label, "confidence": d.confidence, "box": list(d.box)} for d in people]
    event.snapshot_at = segments[2].started_at
    event.save()
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 1
    clip = event_clip_cut(event=event)
    assert clip is not None and clip.file
    return {"camera": camera, "event": event, "clip": clip}


def _client(make_user, group: str | None) -> Client:
    if group is None:
        return Client()
    if group == "Auditors" and not Group.objects.filter(name=group).exists():
        auditors = Group.objects.create(name=group)  # a custom role that views everything and changes nothing
        auditors.permissions.set(Permission.objects.filter(codename__startswith="view_"))
    _, key = api_token_issue(user=make_user(f"user-{group or 'none'}", group or None))
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def _export(client: Client, event) -> zipfile.ZipFile:
    response = client.post(f"/api/events/{event.pk}/export/")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip"
    assert f'filename="event-{event.pk}-evidence.zip"' in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _public_key_pem(client: Client) -> bytes:
    return client.get("/api/evidence/public-key/").json()["public_key_pem"].encode()


def test_the_zip_holds_the_evidence_listed_with_hashes_and_signed(scene, make_user):
    client = _client(make_user, "Operators")
    event, clip = scene["event"], scene["clip"]
    before = timezone.now()
    archive = _export(client, event)

    names = set(archive.namelist())
    assert names == {"clip.mp4", "snapshot.jpg", "snapshot-annotated.jpg", "event.json", "detections.json",
                     "history.json", "manifest.json", "manifest.sig"}  # fmt: skip
    assert archive.read("clip.mp4") == clip.file.open("rb").read()
    assert archive.read("snapshot.jpg") == event.snapshot.open("rb").read()
    assert archive.read("snapshot-annotated.jpg") == event.annotated_snapshot.open("rb").read()
    assert json.loads(archive.read("event.json"))["id"] == event.pk
    assert json.loads(archive.read("detections.json"))["detections"] == event.detections
    history = json.loads(archive.read("history.json"))
    assert history[-1]["action"] == "export" and history[-1]["user"] == "user-Operators"

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["event"] == event.pk and manifest["exported_by"] == "user-Operators"
    assert before <= datetime.fromisoformat(manifest["exported_at"]) <= timezone.now()
    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) == names - {"manifest.json", "manifest.sig"}
    for name, entry in listed.items():
        data = archive.read(name)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data), name

    key = load_pem_public_key(_public_key_pem(client))
    key.verify(archive.read("manifest.sig"), archive.read("manifest.json"))  # raises if it does not verify
    assert (
        manifest["signature"]["public_key_sha256"]
        == client.get("/api/evidence/public-key/").json()["public_key_sha256"]
    )
    tampered = archive.read("manifest.json").replace(b'"size": ', b'"size": 1', 1)
    with pytest.raises(InvalidSignature):
        key.verify(archive.read("manifest.sig"), tampered)


def test_every_export_is_written_in_the_event_history(scene, make_user):
    client = _client(make_user, "Operators")
    _export(client, scene["event"])
    _export(client, scene["event"])
    exports = EventAction.objects.filter(event=scene["event"], action=EventAction.Action.EXPORT)
    assert exports.count() == 2
    assert {entry.user.get_username() for entry in exports} == {"user-Operators"}
    assert all(entry.from_status == entry.to_status == scene["event"].status for entry in exports)


def test_an_event_without_a_clip_exports_what_it_has(make_user):
    camera = CameraFactory(source_url="http://127.0.0.1:9/snapshot.jpg", name="Gate")
    now = timezone.now()
    event = detection_event(camera, first_seen=now, last_seen=now)
    archive = _export(_client(make_user, "Administrators"), event)
    assert "clip.mp4" not in archive.namelist() and "snapshot.jpg" not in archive.namelist()
    listed = [entry["name"] for entry in json.loads(archive.read("manifest.json"))["files"]]
    assert listed == ["event.json", "detections.json", "history.json"]


def _recipe(language: str, marker: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)
    found = [block for block in blocks if marker in block]
    assert len(found) == 1, f"the README's {marker} recipe"
    return found[0]


def _written(archive: zipfile.ZipFile, folder: Path, *, manifest: bytes | None = None) -> Path:
    path = folder / "evidence.zip"
    with zipfile.ZipFile(path, "w") as copy:
        for name in archive.namelist():
            copy.writestr(name, manifest if name == "manifest.json" and manifest is not None else archive.read(name))
    return path


def test_the_readme_recipes_verify_an_export_and_catch_a_changed_one(scene, make_user, tmp_path):
    client = _client(make_user, "Operators")
    archive = _export(client, scene["event"])
    (tmp_path / "vigil-evidence.pem").write_bytes(_public_key_pem(client))
    script = tmp_path / "verify_evidence.py"
    script.write_text(_recipe("python", "verify_evidence.py"))

    def python_recipe(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(script), str(path), "vigil-evidence.pem"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    good = python_recipe(_written(archive, tmp_path))
    assert good.returncode == 0 and f"event {scene['event'].pk}" in good.stdout, good.stderr
    # A clip cut short, its manifest entry changed to match: the signature no longer holds.
    manifest = json.loads(archive.read("manifest.json"))
    manifest["files"][0]["size"] -= 1
    changed = python_recipe(_written(archive, tmp_path, manifest=json.dumps(manifest).encode()))
    assert changed.returncode != 0 and "InvalidSignature" in changed.stderr
    # A file changed, the manifest left: the signature holds, the hash does not.
    (tmp_path / "other").mkdir()
    with zipfile.ZipFile(tmp_path / "other" / "evidence.zip", "w") as copy:
        for name in archive.namelist():
            copy.writestr(name, b"not the clip" if name == "clip.mp4" else archive.read(name))
    swapped = python_recipe(tmp_path / "other" / "evidence.zip")
    assert swapped.returncode != 0 and "clip.mp4" in swapped.stdout + swapped.stderr

    shell = _recipe("sh", "openssl pkeyutl")
    command = "openssl pkeyutl -verify -pubin -inkey vigil-evidence.pem -rawin -in manifest.json -sigfile manifest.sig"
    assert command in shell
    archive.extract("manifest.json", tmp_path)
    archive.extract("manifest.sig", tmp_path)
    verified = subprocess.run(command.split(), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and "Signature Verified Successfully" in verified.stdout
    (tmp_path / "manifest.json").write_bytes(archive.read("manifest.json").replace(b"event", b"Event", 1))
    refused = subprocess.run(command.split(), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "Signature Verified Successfully" not in refused.stdout


def test_the_key_is_made_once_private_to_the_server_and_never_served(client, make_user, scene):
    assert not evidence_key_path().exists()
    first = evidence_private_key()
    path = evidence_key_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Path(settings.MEDIA_ROOT) not in path.parents
    assert evidence_private_key().private_bytes_raw() == first.private_bytes_raw()  # read back, not made again
    client.force_login(make_user("ada", "Administrators"))
    secret = path.read_bytes()
    body = client.get("/api/evidence/public-key/").content
    assert b"PRIVATE" not in body and secret not in body
    archive = _export(_client(make_user, "Operators"), scene["event"])
    assert not [name for name in archive.namelist() if b"PRIVATE KEY" in archive.read(name)]


@pytest.mark.parametrize("column", range(len(ROLES)), ids=[name for name, _ in ROLES])
def test_operators_and_administrators_export_others_are_refused(column, scene, make_user, settings):
    settings.API_THROTTLE_RATE = "100000/min"
    client = _client(make_user, ROLES[column][1])
    response = client.post(f"/api/events/{scene['event'].pk}/export/")
    assert response.status_code == EXPORT[column], response.content[:300]
    written = EventAction.objects.filter(event=scene["event"], action=EventAction.Action.EXPORT).count()
    assert written == (1 if response.status_code == 200 else 0)  # a refused export leaves no trace
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/json" and b"detail" in response.content
    assert client.get("/api/evidence/public-key/").status_code == PUBLIC_KEY[column]


@pytest.mark.parametrize(("role", "allowed"), [("Viewers", False), ("Auditors", False), ("Operators", True)])
def test_the_event_page_offers_the_export_button_to_operators_only(client, scene, make_user, role, allowed):
    if role == "Auditors":
        Group.objects.create(name=role).permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(make_user("someone", role, staff=True))
    page = client.get(reverse("admin:events_event_change", args=[scene["event"].pk]))
    assert page.status_code == 200
    assert (b'id="export-evidence"' in page.content) is allowed
    download = client.post(reverse("event-evidence", args=[scene["event"].pk]))
    assert download.status_code == (200 if allowed else 403)
    if allowed:
        archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
        assert json.loads(archive.read("manifest.json"))["exported_by"] == "someone"
    assert EventAction.objects.filter(action=EventAction.Action.EXPORT).count() == (1 if allowed else 0)
    assert client.get(reverse("event-evidence", args=[scene["event"].pk])).status_code in (403, 405)
