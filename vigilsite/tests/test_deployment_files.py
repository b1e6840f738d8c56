"""The README, .env.example and docker-compose.yml stay true to the settings."""

import re

import yaml

from vigilsite.testing import BASE_DIR

SETTINGS = (BASE_DIR / "vigilsite" / "settings.py").read_text()
README = (BASE_DIR / "README.md").read_text()
VARIABLES = sorted(set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', SETTINGS)))


def test_every_setting_is_documented_in_the_readme():
    assert len(VARIABLES) > 20
    missing = [name for name in VARIABLES if f"VIGIL_{name}" not in README]
    assert not missing, f"settings missing from the README's table: {missing}"


def test_every_example_variable_is_a_real_setting():
    example = (BASE_DIR / ".env.example").read_text()
    names = re.findall(r"^VIGIL_([A-Z_]+)=", example, flags=re.MULTILINE)
    assert names
    assert not [name for name in names if name not in VARIABLES]


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
