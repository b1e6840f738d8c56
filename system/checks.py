"""Start-up checks (``manage.py check`` and every command): what an installation lacks, said at once."""

import json

from django.conf import settings
from django.core.checks import Warning, register


@register()
def vendored_browser_libraries(app_configs=None, **kwargs) -> list:
    """The map and the live view need libraries bin/setup installs from the npm registry (vendor.json)."""
    manifest_path = settings.BASE_DIR / "vendor.json"
    if not manifest_path.exists():
        return []
    folder = settings.BASE_DIR / "vendor" / "static" / "vendor"
    missing = [
        f"{name}/{path}"
        for name, spec in json.loads(manifest_path.read_text())["packages"].items()
        for path in spec["files"]
        if not (folder / name / path).exists()
    ]
    if not missing:
        return []
    return [
        Warning(
            f"browser libraries missing from vendor/static/vendor/: {', '.join(missing)}",
            hint="run bin/setup (or bin/vendor) to install them from the npm registry",
            id="vigil.W001",
        )
    ]
