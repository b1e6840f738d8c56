"""Every app's tests are collected: a folder missing from ``testpaths`` would silently not run."""

import tomllib

from vigilsite.testing import BASE_DIR


def test_every_tests_folder_is_in_testpaths():
    testpaths = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"]
    apps_with_tests = {path.parent.name for path in BASE_DIR.glob("*/tests") if path.is_dir()}
    assert apps_with_tests <= set(testpaths)
