import base64
import hashlib
import importlib.machinery
import importlib.util
import io
import json
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from system.checks import vendored_browser_libraries


def _vendor_module():
    path = Path(settings.BASE_DIR) / "bin" / "vendor"
    loader = importlib.machinery.SourceFileLoader("vendor_script", str(path))
    spec = importlib.util.spec_from_loader("vendor_script", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def registry():
    """A local npm registry serving one tarball (the real one is not reachable from CI's tests)."""
    served = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = served.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_package_is_installed_only_when_its_tarball_matches_the_pinned_integrity(tmp_path, registry, monkeypatch):
    served, url = registry
    vendor = _vendor_module()
    monkeypatch.setattr(vendor, "TARGET", tmp_path)
    data = _tarball({"dist/lib.js": b"window.lib = 1;", "LICENSE": b"MIT"})
    served["/@scope/lib/-/lib-1.0.0.tgz"] = data
    good = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    spec = {"version": "1.0.0", "integrity": good, "files": ["LICENSE", "dist/lib.js"]}

    assert vendor.install("@scope/lib", spec, url) is True
    assert (tmp_path / "@scope/lib/dist/lib.js").read_bytes() == b"window.lib = 1;"
    assert vendor.install("@scope/lib", spec, url) is False  # stamped: not fetched again

    # A tampered tarball (or a wrong pin) writes nothing and keeps what was installed.
    served["/@scope/lib/-/lib-1.0.1.tgz"] = _tarball({"dist/lib.js": b"evil()", "LICENSE": b"MIT"})
    with pytest.raises(SystemExit, match="does not match"):
        vendor.install("@scope/lib", {**spec, "version": "1.0.1"}, url)
    assert (tmp_path / "@scope/lib/dist/lib.js").read_bytes() == b"window.lib = 1;"


def test_the_pinned_libraries_are_installed_and_served_as_static_files():
    manifest = json.loads((Path(settings.BASE_DIR) / "vendor.json").read_text())
    for name, spec in manifest["packages"].items():
        for path in spec["files"]:
            assert finders.find(f"vendor/{name}/{path}"), f"{name}/{path}: run bin/setup"
    assert vendored_browser_libraries() == []


def test_a_missing_library_is_a_startup_warning(settings, tmp_path):
    (tmp_path / "vendor.json").write_text(json.dumps({"packages": {"x": {"version": "1", "files": ["x.js"]}}}))
    settings.BASE_DIR = tmp_path
    [warning] = vendored_browser_libraries()
    assert warning.id == "vigil.W001" and "x/x.js" in warning.msg and "bin/setup" in warning.hint
