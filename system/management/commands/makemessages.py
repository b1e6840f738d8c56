"""Django's makemessages with Vigil's defaults: one catalogue per language in ``locale/``, built from the
project's own files only, without entries that are gone from the code.

    manage.py makemessages -l ko               # pages, admin and Python
    manage.py makemessages -l ko -d djangojs   # the scripts (gettext() in static/*.js)
"""

from django.core.management.commands import makemessages

# Not Vigil's source: the data folder (SQLite, media, collected static files), test screenshots and the
# benchmarks (English console output). Hidden folders (.venv, .git) are ignored by Django already.
IGNORED = ["var", "artifacts", "bench", "docs"]


class Command(makemessages.Command):
    help = "Extract the translatable texts into locale/<language>/LC_MESSAGES (Vigil's folders only)."

    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORED]
        options["no_obsolete"] = True
        return super().handle(*args, **options)
