"""The web server's entry point loads its URLconf and keeps the collector off start-up objects."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import gc, json, sys
import vigilsite.asgi
print(json.dumps({"frozen": gc.get_freeze_count(), "views_loaded": "events.api.viewsets" in sys.modules}))
"""


def test_asgi_entry_point_freezes_what_start_up_loaded(tmp_path):
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "vigilsite.settings", "VIGIL_DATA_DIR": str(tmp_path),
                        "VIGIL_DEMO": "false"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=settings.BASE_DIR, capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["views_loaded"], "the URLconf (and its views) should be imported before the first request"
    assert probe["frozen"] > 50_000, probe  # Django, DRF and the views: far more than this when frozen
