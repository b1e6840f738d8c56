"""API tokens stored as a SHA-256 of their key, addressed by an id; existing tokens keep working.

Until now a token's primary key was its key (DRF's ``authtoken``): it showed in admin URLs and
the database held usable keys. Each existing key is hashed into the new table, with its user and
creation time (so it expires when it did), and the plain row is deleted.
"""

import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from accounts.migrations._permissions import create_roles


def hash_existing_tokens(apps, schema_editor) -> None:
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=token.user_id,
            name="issued before tokens were hashed",
            prefix=token.key[:8],
            key_hash=hashlib.sha256(token.key.encode()).hexdigest(),
            created=token.created,
        )
        for token in Token.objects.all()
    )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_login_lockouts"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("cameras", "0007_camera_action_permissions"),
        ("detection", "0005_model_weights_permission"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.DeleteModel(name="ApiToken"),
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        blank=True, help_text="Which system uses it (for you to recognise it).", max_length=100
                    ),
                ),
                ("prefix", models.CharField(editable=False, help_text="The key's first characters.", max_length=8)),
                ("key_hash", models.CharField(editable=False, max_length=64, unique=True)),
                ("created", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("last_used", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "API token", "ordering": ["-created"]},
        ),
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
