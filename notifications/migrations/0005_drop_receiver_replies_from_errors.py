"""Drop the receivers' replies ("HTTP 500: <first 300 characters>") kept in errors before Vigil stopped
storing them (Viewers read deliveries), and mask credentials in the rest."""

import re
from http import HTTPStatus

from django.db import migrations

_REPLY = re.compile(r"^HTTP (\d{3}): .*", re.DOTALL)


def _clean(error: str) -> str:
    from core.redact import mask_text

    reply = _REPLY.match(error)
    if not reply:
        return mask_text(error)
    code = int(reply.group(1))
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def drop_replies(apps, schema_editor):
    for model, field in (("Notification", "last_error"), ("Delivery", "error")):
        Model = apps.get_model("notifications", model)
        for pk, error in Model.objects.exclude(**{field: ""}).values_list("pk", field).iterator():
            cleaned = _clean(error)
            if cleaned != error:
                Model.objects.filter(pk=pk).update(**{field: cleaned})


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_numeric_bounds_and_plain_names"),
    ]

    operations = [migrations.RunPython(drop_replies, migrations.RunPython.noop)]
