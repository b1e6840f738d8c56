"""API tokens under a name that is not their secret; Administrators make and revoke them."""

from django.db import migrations

from accounts.migrations._permissions import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_roles"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[],
            options={"verbose_name": "API token", "proxy": True, "indexes": [], "constraints": []},
            bases=("authtoken.token",),
        ),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
