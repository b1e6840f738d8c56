"""Stored files go with their rows: deleting a row deletes its files, once the deletion has committed."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete

logger = logging.getLogger(__name__)


def stored_files_delete(doomed: list[tuple[Storage, str]]) -> None:
    """Delete each (storage, name); one that cannot be deleted is logged and the others still go."""
    for storage, name in doomed:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete the stored file %s", name, exc_info=True)


def stored_files_delete_on_commit(*files: FieldFile | None) -> None:
    """Delete ``files`` after the current transaction commits: a rolled-back delete keeps its files."""
    doomed = [(file.storage, file.name) for file in files if file]
    if doomed:
        transaction.on_commit(lambda: stored_files_delete(doomed))


def stored_files_follow_rows(model: type[models.Model], *field_names: str) -> Callable[..., None]:
    """Connect a ``post_delete`` receiver that deletes the row's files in ``field_names`` after commit.

    ``post_delete`` is also sent for rows removed by a cascade (a camera's events), so one receiver
    per model covers every way a row goes: admin, API, shell, cascade.
    """

    def delete_files(sender, instance: models.Model, **kwargs) -> None:
        stored_files_delete_on_commit(*(getattr(instance, name) for name in field_names))

    post_delete.connect(delete_files, sender=model, weak=False, dispatch_uid=f"stored_files_{model._meta.label}")
    return delete_files
