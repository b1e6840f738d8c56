"""Checks on uploaded model weights: size, format and digest.

Weights are code: a ``.pt`` file is a Python pickle that runs whatever it holds when a worker loads
it. These checks do not make a file safe (only trusting who uploads it does, hence the
``detection.manage_model_weights`` permission); they refuse what is not weights at all and record
which bytes were uploaded, so the audit says exactly what every detect worker was given.
"""

from __future__ import annotations

import hashlib
import zipfile
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext

ALLOWED_SUFFIXES = ("onnx", "pt")


def file_sha256(file: File) -> str:
    """The hex SHA-256 of ``file``, read in chunks (weights can be hundreds of megabytes)."""
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _is_torch_zip(stream: IO[bytes]) -> bool:
    """torch.save's zip layout: one top folder holding ``data.pkl`` and ``version``."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) != 1 or any("/" not in name for name in names):
        return False
    top = tops.pop()
    return f"{top}/data.pkl" in names and ({f"{top}/version", f"{top}/.data/version"} & set(names)) != set()


def _is_onnx(head: bytes) -> bool:
    """An ONNX ModelProto starts with field 1, ``ir_version``, a small varint (tag byte 0x08)."""
    if len(head) < 2 or head[0] != 0x08:
        return False
    value, shift = 0, 0
    for byte in head[1:6]:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return 1 <= value <= 64
    return False


def validate_weights_file(file: File) -> None:
    """Refuse an upload that is too large or is not a torch zip (``.pt``) or an ONNX model (``.onnx``)."""
    if getattr(file, "_committed", True):
        return  # already stored (checked when it was uploaded); a later edit of other fields
    limit = settings.MODEL_UPLOAD_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            gettext("The weights file is larger than %(limit)s bytes (VIGIL_MODEL_UPLOAD_MAX_BYTES).")
            % {"limit": limit}
        )
    suffix = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
    file.seek(0)
    if suffix == "pt":
        ok = _is_torch_zip(file)
        refusal = gettext("This is not a PyTorch .pt file (a zip written by torch.save); nothing was saved.")
    elif suffix == "onnx":
        ok = _is_onnx(file.read(16))
        refusal = gettext("This is not an ONNX model; nothing was saved.")
    else:
        ok, refusal = False, gettext("This is not a .pt or .onnx file; nothing was saved.")
    file.seek(0)
    if not ok:
        raise ValidationError(refusal)
