"""Backends: the default model exported by ultralytics to ONNX Runtime and OpenVINO, real inference on real
pictures, the export cache, validation and the fall-back to PyTorch (detection/backends.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from django.conf import settings

from core.vision import Detection
from detection import backends
from detection.backends import Agreement, agreement
from detection.detector import detector_for, detectors_forget, weights_path
from detection.models import DetectionModel
from detection.tests.frames import clip_frames, photo
from vigilsite.testing import project_env, wait_until

pytestmark = [pytest.mark.django_db, pytest.mark.runtime]


@pytest.fixture
def own_exports(settings, tmp_path) -> Path:
    """An export folder of this test's own: what it finds there, it made."""
    settings.DETECTION_EXPORT_DIR = tmp_path / "exports"
    return settings.DETECTION_EXPORT_DIR


@pytest.fixture(autouse=True)
def _torch_threads():
    # Backends set PyTorch's thread count for the process; leave it as ultralytics would.
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _on(model: DetectionModel, backend: str):
    model.backend = backend
    model.save()
    detectors_forget()
    return detector_for(DetectionModel.objects.get(pk=model.pk))


@pytest.mark.parametrize("backend", ["onnx", "openvino"])
def test_each_backend_finds_what_pytorch_finds_on_real_pictures(offline_model, media_dir, backend):
    pictures = [photo("bus.jpg").image, photo("zidane.jpg").image]
    pictures += [frame.image for _, frame in clip_frames(media_dir / "concourse.mp4", step=90, limit=4)]
    reference = _on(offline_model, "pytorch").detect(pictures)
    exported = _on(offline_model, backend)
    found = exported.detect(pictures)

    assert exported.runtime.backend == backend and "export validated on" in exported.runtime.note
    exact = exported.runtime.precision == "fp32"  # bf16 (OpenVINO on CPUs that have it) may differ near the threshold
    together = Agreement()
    for expected, got in zip(reference, found, strict=True):
        if exact:
            assert sorted((d.label, len(got)) for d in got) == sorted((d.label, len(expected)) for d in expected)
        agreement(expected, got, confidence=offline_model.confidence, into=together)
    assert together.missing == together.extra == together.relabelled == 0
    assert together.matched >= 10 and together.mean_iou >= 0.9
    stored = DetectionModel.objects.get(pk=offline_model.pk)
    assert stored.backend_status.startswith(f"{backend} {exported.runtime.precision}") and stored.last_error == ""


def test_auto_runs_openvino_on_a_host_without_cuda_and_says_so(offline_model):
    detector = detector_for(offline_model)
    assert not torch.cuda.is_available()  # this host; a CUDA host gets PyTorch (test_auto_on_cuda below)
    assert detector.runtime.backend == "openvino"
    assert detector.runtime.note.startswith("auto: openvino on a host without CUDA; export validated on")
    assert detector.runtime.precision == backends.cpu_precision()


def test_auto_on_cuda_keeps_pytorch_and_an_onnx_upload_runs_on_onnx_runtime(offline_model, monkeypatch):
    # No GPU here: CUDA's presence is the one thing faked; the choice made from it is the real function.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    backend, why = backends.backend_wanted(offline_model, "/models/best.pt", "cuda:0")
    assert (backend, why) == ("pytorch", "auto: PyTorch on a CUDA GPU")
    assert backends.backend_wanted(offline_model, "/models/own.onnx", None)[0] == "onnx"


def test_the_host_setting_overrides_the_model(offline_model, settings):
    settings.DETECTION_BACKEND = "pytorch"
    detector = detector_for(offline_model)
    assert detector.runtime.backend == "pytorch" and detector.runtime.note == "pytorch (VIGIL_DETECTION_BACKEND)"
    detector.detect([photo("zidane.jpg").image])
    assert type(detector.yolo.predictor.model.backend).__name__ == "PyTorchBackend"


@pytest.fixture
def seeded_exports(offline_model, settings, tmp_path) -> Path:
    """A folder of this test's own holding a copy of the run's OpenVINO export of the offline model
    (made once per run by whichever test needed it first)."""
    offline_model.backend = "openvino"
    offline_model.save()
    shared = Path(detector_for(offline_model).runtime.path).parent
    detectors_forget()
    settings.DETECTION_EXPORT_DIR = tmp_path / "exports"
    shutil.copytree(shared, settings.DETECTION_EXPORT_DIR / shared.name)
    return settings.DETECTION_EXPORT_DIR


def test_the_export_is_reused_after_a_restart_and_rebuilt_when_the_weights_change(offline_model, seeded_exports,
                                                                                  tmp_path):  # fmt: skip
    weights = tmp_path / "mine.pt"
    shutil.copyfile(weights_path(offline_model), weights)  # the same bytes: the same export
    offline_model.weights = str(weights)
    offline_model.save()
    [folder] = [p for p in seeded_exports.iterdir() if p.is_dir()]
    made = (folder / "verdict.json").stat().st_mtime_ns
    first = detector_for(offline_model)
    assert first.runtime.backend == "openvino" and first.runtime.path.startswith(str(folder))

    detectors_forget()  # a worker restart: nothing in memory, the folder on disk
    backends._digests.clear()
    again = detector_for(DetectionModel.objects.get(pk=offline_model.pk))
    assert again.runtime.path == first.runtime.path
    assert (folder / "verdict.json").stat().st_mtime_ns == made  # not exported again
    assert [p for p in seeded_exports.iterdir() if p.is_dir()] == [folder]

    checkpoint = torch.load(weights, weights_only=False)
    checkpoint["date"] = "retrained"  # other weights, other digest
    torch.save(checkpoint, weights)
    detectors_forget()
    rebuilt = detector_for(DetectionModel.objects.get(pk=offline_model.pk))
    folders = sorted(p for p in seeded_exports.iterdir() if p.is_dir())
    assert len(folders) == 2 and rebuilt.runtime.path != first.runtime.path
    assert Path(rebuilt.runtime.path).parent in folders
    assert json.loads((Path(rebuilt.runtime.path).parent / "verdict.json").read_text())["accepted"]


def test_an_export_that_disagrees_with_pytorch_is_refused_once_and_pytorch_runs(offline_model, own_exports, settings):
    settings.DETECTION_EXPORT_MIN_IOU = 1.01  # no export can overlap PyTorch's boxes this well
    offline_model.backend = "openvino"
    offline_model.save()
    detector = detector_for(offline_model)

    assert detector.runtime.backend == "pytorch"
    assert detector.runtime.note.startswith("openvino refused: its detections differ from PyTorch's: 2 pictures,")
    stored = DetectionModel.objects.get(pk=offline_model.pk)
    assert "openvino refused" in stored.backend_status and stored.last_error == ""
    assert len(detector.detect([photo("bus.jpg").image])[0]) >= 3  # it still detects, on PyTorch
    [verdict] = own_exports.glob("*/verdict.json")
    assert json.loads(verdict.read_text())["accepted"] is False
    before = verdict.stat().st_mtime_ns
    detectors_forget()
    assert detector_for(DetectionModel.objects.get(pk=offline_model.pk)).runtime.backend == "pytorch"
    assert verdict.stat().st_mtime_ns == before  # the refusal is remembered, not exported again


def test_a_broken_export_is_discarded_pytorch_runs_and_the_next_start_rebuilds_it(offline_model, seeded_exports):
    [folder] = [p for p in seeded_exports.iterdir() if p.is_dir()]
    xml = next(folder.rglob("*.xml"))
    xml.write_text("<net>cut short by a full disk")

    fallen = detector_for(DetectionModel.objects.get(pk=offline_model.pk))
    assert fallen.runtime.backend == "pytorch" and "the openvino export would not load" in fallen.runtime.note
    assert "would not load" in DetectionModel.objects.get(pk=offline_model.pk).backend_status
    assert len(fallen.detect([photo("bus.jpg").image])[0]) >= 3
    assert not xml.exists()  # removed, so that it is made again
    detectors_forget()
    rebuilt = detector_for(DetectionModel.objects.get(pk=offline_model.pk))
    assert (
        rebuilt.runtime.backend == "openvino" and next(Path(rebuilt.runtime.path).glob("*.xml")).stat().st_size > 1000
    )


def test_inference_threads_follow_the_cores_or_the_setting(offline_model, settings):
    detector = detector_for(offline_model)
    detector.detect([photo("zidane.jpg").image])
    compiled = detector.yolo.predictor.model.backend.ov_compiled_model
    assert compiled.get_property("INFERENCE_NUM_THREADS") == backends.inference_threads()
    assert torch.get_num_threads() == 1  # PyTorch only pre- and post-processes beside OpenVINO

    settings.DETECTION_THREADS = 1
    detectors_forget()
    one = detector_for(offline_model)
    one.detect([photo("zidane.jpg").image])
    assert one.runtime.threads == 1
    assert one.yolo.predictor.model.backend.ov_compiled_model.get_property("INFERENCE_NUM_THREADS") == 1

    settings.DETECTION_BACKEND = "pytorch"
    settings.DETECTION_THREADS = 2
    detectors_forget()
    detector_for(offline_model).detect([photo("zidane.jpg").image])
    assert torch.get_num_threads() == 2  # not ultralytics' cpu_count - 1


def _cgroup(tmp_path: Path, own: str, files: dict[str, str]) -> tuple[str, str]:
    """A cgroup tree as the kernel shows it (``/sys/fs/cgroup`` and ``/proc/self/cgroup``)."""
    for name, text in files.items():
        (tmp_path / "sys" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "sys" / name).write_text(text)
    (tmp_path / "proc-cgroup").write_text(own)
    return str(tmp_path / "sys"), str(tmp_path / "proc-cgroup")


def test_a_container_cpu_quota_caps_the_inference_threads(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))  # a 64-core host's view
    # cgroup v2: the container's own limit (2.5 CPUs) under a parent without one: 2 threads, never 3.
    v2 = _cgroup(tmp_path / "v2", "0::/system.slice/docker-1.scope\n", {
        "system.slice/docker-1.scope/cpu.max": "250000 100000",
        "system.slice/cpu.max": "max 100000",
    })  # fmt: skip
    assert backends.cgroup_cpu_quota(*v2) == 2.5 and backends.usable_cores(*v2) == 2
    # cgroup v1, limited at a parent folder.
    v1 = _cgroup(tmp_path / "v1", "4:cpu,cpuacct:/docker/abc\n1:memory:/docker/abc\n", {
        "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "-1",
        "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000",
        "cpu,cpuacct/docker/cpu.cfs_quota_us": "400000",
        "cpu,cpuacct/docker/cpu.cfs_period_us": "100000",
    })  # fmt: skip
    assert backends.usable_cores(*v1) == 4
    # Less than one CPU still runs one thread; no quota leaves the affinity.
    small = _cgroup(tmp_path / "small", "0::/\n", {"cpu.max": "50000 100000"})
    assert backends.usable_cores(*small) == 1
    unlimited = _cgroup(tmp_path / "none", "0::/\n", {"cpu.max": "max 100000"})
    assert backends.cgroup_cpu_quota(*unlimited) is None and backends.usable_cores(*unlimited) == 64


def test_validation_counts_only_firm_differences():
    def box(label, confidence, x):
        return Detection(label, confidence, (x, 0.1, x + 0.1, 0.5))

    same = agreement([box("person", 0.9, 0.1)], [box("person", 0.88, 0.101)], confidence=0.25)
    assert same.accepted(0.9) and same.matched == 1 and same.mean_iou > 0.9
    near_threshold = agreement([box("person", 0.9, 0.1), box("person", 0.27, 0.5)], [box("person", 0.9, 0.1)],
                               confidence=0.25)  # fmt: skip
    assert near_threshold.accepted(0.9) and near_threshold.missing == 0
    extra_fall = agreement([box("person", 0.9, 0.1)], [box("person", 0.9, 0.1), box("person_down", 0.6, 0.6)],
                           confidence=0.25)  # fmt: skip
    assert not extra_fall.accepted(0.9) and extra_fall.extra == 1
    relabelled = agreement([box("person", 0.9, 0.1)], [box("person_down", 0.9, 0.1)], confidence=0.25)
    assert not relabelled.accepted(0.9) and relabelled.relabelled == 1


def test_a_detect_worker_says_at_start_up_which_runtime_and_threads_it_uses(celery_workers):
    worker = celery_workers("detect", queue="detect", pool="solo", concurrency=1, loglevel="INFO")
    expected = f"detection runtime: auto: openvino on a host without CUDA ({backends.cpu_precision()} on this CPU); "
    # A host in a container with a CPU quota adds ", within a CPU quota of N" inside the brackets.
    expected += f"{backends.inference_threads()} inference thread(s) (the cores this process may use"
    wait_until(lambda: expected in worker.log_path.read_text(), 30, "no start-up line about the runtime")


EXPORT_ONCE = """
import django, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
django.setup()
from types import SimpleNamespace
from detection import backends
model = SimpleNamespace(name="Two workers", image_size=320, confidence=0.25, iou=0.45, precision="auto")
path, verdict = backends.exported(model, sys.argv[1], "openvino", "auto")
print(json.dumps({"path": path, "made_by": verdict["made_by"], "me": os.getpid()}))
"""


def test_two_workers_starting_at_once_export_the_model_once(offline_model, tmp_path):
    env = project_env(VIGIL_DETECTION_EXPORT_DIR=str(tmp_path / "exports"), VIGIL_DATA_DIR=str(tmp_path / "data"))
    command = [sys.executable, "-c", EXPORT_ONCE, weights_path(offline_model)]
    workers = [subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True)
               for _ in range(2)]  # fmt: skip
    answers = [json.loads(worker.communicate(timeout=180)[0].strip().splitlines()[-1]) for worker in workers]

    made_by = {answer["made_by"].rsplit(":", 1)[1] for answer in answers}
    assert answers[0]["path"] == answers[1]["path"] and len(made_by) == 1  # made by one, reused by the other
    assert made_by <= {str(answer["me"]) for answer in answers}
    assert [p.name for p in (tmp_path / "exports").iterdir() if p.is_dir()] == [Path(answers[0]["path"]).parent.name]
    assert sum(f.stat().st_size for f in Path(answers[0]["path"]).iterdir()) > 1_000_000


def test_an_export_folder_that_cannot_be_written_leaves_pytorch_running_and_says_why(offline_model, settings,
                                                                                     tmp_path):  # fmt: skip
    blocker = tmp_path / "full"
    blocker.write_bytes(b"")  # a file where the folder should be: mkdir fails as on a full or read-only disk
    settings.DETECTION_EXPORT_DIR = blocker / "exports"
    detector = detector_for(offline_model)

    assert detector.runtime.backend == "pytorch"
    assert detector.runtime.note.startswith("openvino refused: the export failed: [Errno 20] Not a directory")
    assert len(detector.detect([photo("bus.jpg").image])[0]) >= 3
    stored = DetectionModel.objects.get(pk=offline_model.pk)
    assert "the export failed" in stored.backend_status and stored.last_error == ""


def test_exports_are_validated_on_each_cameras_latest_frame_too(settings, tmp_path):
    from django.utils import timezone

    from cameras import frame_store
    from cameras.tests.factories import CameraFactory

    settings.DETECTION_VALIDATION_DIR = tmp_path / "none"
    camera = CameraFactory(name="Concourse")
    frame_store.latest_frame_save(camera.pk, photo("zidane.jpg"))
    type(camera).objects.filter(pk=camera.pk).update(last_frame_at=timezone.now())
    CameraFactory(name="Never seen")  # no frame yet: nothing to add

    pictures = backends.validation_pictures()
    assert [p.shape for p in pictures] == [(1080, 810, 3), (720, 1280, 3), (720, 1280, 3)]
