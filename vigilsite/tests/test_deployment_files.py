"""The README, .env.example and docker-compose.yml stay true to the settings."""

import re

import yaml

from vigilsite.testing import BASE_DIR

SETTINGS = (BASE_DIR / "vigilsite" / "settings.py").read_text()
README = (BASE_DIR / "README.md").read_text()
EXAMPLE = (BASE_DIR / ".env.example").read_text()
# Every variable settings.py reads through the helpers of vigilsite/env.py (env.string("NAME", ...), ...).
VARIABLES = sorted(set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', SETTINGS)))


def _settings_table() -> set[str]:
    """The variables named in the first column of the README's table under "## Configuration"."""
    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in rows for name in re.findall(r"VIGIL_([A-Z_]+)", cell)}


def test_every_setting_is_in_the_readmes_settings_table():
    assert len(VARIABLES) > 20
    missing = [name for name in VARIABLES if name not in _settings_table()]
    assert not missing, f"settings missing from the README's table: {missing}"


def test_every_setting_is_in_the_env_example():
    # Set (VIGIL_X=...) or shown with its default or an example, commented out (# VIGIL_X=...).
    shown = set(re.findall(r"^(?:# )?VIGIL_([A-Z_]+)=", EXAMPLE, flags=re.MULTILINE))
    missing = [name for name in VARIABLES if name not in shown]
    assert not missing, f"settings missing from .env.example: {missing}"


def test_every_example_variable_is_a_real_setting():
    names = re.findall(r"^(?:# )?VIGIL_([A-Z_]+)=", EXAMPLE, flags=re.MULTILINE)
    assert names
    assert not [name for name in names if name not in VARIABLES and name.removesuffix("_FILE") not in VARIABLES]
    assert not [name for name in _settings_table() if name not in VARIABLES], "the README's table names a setting"


def test_compose_runs_every_process_with_a_gpu_for_detection():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "capture", "detect", "default", "beat"} <= set(services)
    devices = services["detect"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["capabilities"] == ["gpu"]
    for queue in ("capture", "detect", "default"):
        command = services[queue]["command"]
        assert command[command.index("-Q") + 1] == queue
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["streams"]["command"][-1] == "analyze_streams"
    assert services["streams"]["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    for name in ("web", "capture", "detect", "default", "beat", "streams"):
        assert services[name]["environment"]["VIGIL_ENV"] == "production"


def test_the_image_alone_runs_in_production_mode():
    """``docker run`` without compose must not serve debug pages: the image defaults to production."""
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert re.search(r"^ENV\s+(.*\s)?VIGIL_ENV=production(\s|$)", dockerfile, flags=re.MULTILINE)
    assert "VIGIL_DEBUG" not in dockerfile
