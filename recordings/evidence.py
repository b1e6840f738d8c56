"""The signed evidence export: an event's clip, snapshots, detections and history in one ZIP.

``manifest.json`` lists every other file of the ZIP with its SHA-256 and size, and says which event,
who exported it and when; ``manifest.sig`` is the Ed25519 signature of ``manifest.json``'s bytes by
the server's evidence key. Whoever holds the public key (``/api/evidence/public-key/``) can check,
without trusting the ZIP's carrier, that nothing was changed, added or left out since the export.

The private key is made on first use in ``DATA_DIR`` (mode 0600) and never leaves it: no URL serves
that folder, and nothing logs the key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone

from events.api.serializers import EventActionSerializer, EventSerializer
from events.models import Event, EventAction
from recordings.models import Clip

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "evidence_ed25519.pem"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
FORMAT = "vigil-evidence/1"
_CHUNK = 1024 * 1024


def evidence_key_path() -> Path:
    return Path(settings.DATA_DIR) / KEY_FILE_NAME


def evidence_private_key() -> Ed25519PrivateKey:
    """The server's evidence key, made on first use (written aside, then linked in: two processes making
    one at once end up with the same key, and nobody reads a half-written file)."""
    path = evidence_key_path()
    try:
        return _load(path)
    except FileNotFoundError:
        pass
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(aside, path)
        except FileExistsError:
            return _load(path)  # another process was first: its key it is
    finally:
        aside.unlink(missing_ok=True)
    logger.info("made the evidence signing key %s", path)
    return key


def _load(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds no Ed25519 key")
    return key


def evidence_public_key() -> Ed25519PublicKey:
    return evidence_private_key().public_key()


def evidence_public_key_pem() -> str:
    return (
        evidence_public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def evidence_public_key_fingerprint() -> str:
    """SHA-256 of the raw 32-byte public key, to compare keys over the phone."""
    raw = evidence_public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


@dataclass
class EvidenceExport:
    file: IO[bytes]  # the ZIP, read from its start; deleted when closed
    filename: str
    manifest: dict


def _json(value) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def _stored(field) -> IO[bytes] | None:
    """A stored file's content, or None when the field is empty or its file is gone."""
    if not field:
        return None
    try:
        return field.open("rb")
    except (FileNotFoundError, OSError):
        logger.warning("evidence file %s is listed but not on disk", field.name)
        return None


@transaction.atomic
def event_evidence_export(*, event: Event, user: AbstractBaseUser) -> EvidenceExport:
    """The event's evidence as a signed ZIP; the export is written in the event's history first (so the
    history in the ZIP shows it). Files that are listed but gone from the disk are left out, and the
    manifest says which."""
    # of=self: PostgreSQL locks no row of an outer join (the assignee may be none).
    event = Event.objects.select_for_update(of=("self",)).select_related("camera", "assignee").get(pk=event.pk)
    exported_at = timezone.now()
    EventAction.objects.create(event=event, action=EventAction.Action.EXPORT, from_status=event.status,
                               to_status=event.status, user=user)  # fmt: skip
    files: list[tuple[str, IO[bytes] | bytes]] = []
    missing: list[str] = []
    clip = Clip.objects.filter(event=event).exclude(file="").first()
    for name, field in [
        ("clip.mp4", clip.file if clip else None),
        ("snapshot" + PurePosixPath(event.snapshot.name).suffix, event.snapshot),
        ("snapshot-annotated" + PurePosixPath(event.annotated_snapshot.name).suffix, event.annotated_snapshot),
    ]:
        content = _stored(field) if field is not None else None
        if content is not None:
            files.append((name, content))
        elif field:
            missing.append(name)
    files.append(("event.json", _json(EventSerializer(event).data)))
    files.append(("detections.json", _json({"snapshot_at": event.snapshot_at, "detections": event.detections})))
    history = event.actions.select_related("user").order_by("created_at", "pk")
    files.append(("history.json", _json(EventActionSerializer(history, many=True).data)))

    archive = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the answer, which closes it once sent
    listed = []
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, content in files:
            listed.append(_add(zipped, name, content))
        fingerprint = evidence_public_key_fingerprint()
        manifest = {
            "format": FORMAT,
            "event": event.pk,
            "exported_by": user.get_username(),
            "exported_at": exported_at.isoformat(),
            "files": listed,
            "missing": missing,
            "signature": {"algorithm": "Ed25519", "file": SIGNATURE, "public_key_sha256": fingerprint},
        }
        body = _json(manifest)
        zipped.writestr(MANIFEST, body, compress_type=zipfile.ZIP_DEFLATED)
        zipped.writestr(SIGNATURE, evidence_private_key().sign(body))
    archive.seek(0)
    return EvidenceExport(file=archive, filename=f"event-{event.pk}-evidence.zip", manifest=manifest)


def evidence_zip_response(export: EvidenceExport) -> FileResponse:
    """The ZIP as a download; the file goes when the answer is sent."""
    response = FileResponse(export.file, as_attachment=True, filename=export.filename, content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response


def _add(zipped: zipfile.ZipFile, name: str, content: IO[bytes] | bytes) -> dict:
    """Write one file into the ZIP, hashing it on the way; its manifest entry."""
    digest, size = hashlib.sha256(), 0
    # Video and JPEG are compressed already; the JSON files shrink well.
    compress = zipfile.ZIP_STORED if name.endswith((".mp4", ".jpg", ".jpeg", ".png")) else zipfile.ZIP_DEFLATED
    info = zipfile.ZipInfo(name, date_time=timezone.now().timetuple()[:6])
    info.compress_type = compress
    with zipped.open(info, "w", force_zip64=True) as target:
        chunks = [content] if isinstance(content, bytes) else iter(lambda: content.read(_CHUNK), b"")
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    if not isinstance(content, bytes):
        content.close()
    return {"name": name, "sha256": digest.hexdigest(), "size": size}
