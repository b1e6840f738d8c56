"""Which runtime runs a model on this host, and the exported models that make CPUs fast.

Through PyTorch, YOLO runs single-threaded on a 2-core host (ultralytics sets ``cpu_count - 1``
threads). The same weights exported by ultralytics to OpenVINO or ONNX Runtime run 1.9x (AVX2) to
4x (bf16) faster on a CPU (docs/benchmarks.md). A worker exports the weights the first time it
needs a backend, keeps the export keyed by what it was made from (weights digest, backend,
precision, image size, ultralytics version), and uses it only after it found the same objects as
PyTorch on a fixed set of pictures; otherwise it stays on PyTorch and says why. The folder is
shared by a host's workers: a file lock keeps two of them from exporting the same model at once.
"""

from __future__ import annotations

import fcntl
import functools
import importlib.util
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files import File

from core.geometry import box_overlap
from detection.weights import file_sha256

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "pytorch", "onnx", "openvino", "tensorrt")
PRECISIONS = ("auto", "fp32", "fp16", "int8")
EXPORT_FORMATS = {"onnx": "onnx", "openvino": "openvino", "tensorrt": "engine"}
RUNTIME_MODULES = {"onnx": "onnxruntime", "openvino": "openvino", "tensorrt": "tensorrt"}
# Boxes this much above the model's confidence must be found by both; nearer the threshold a
# reduced-precision runtime may keep or drop a weak box, as a slightly different frame would.
FIRM_MARGIN = 0.1
MATCH_IOU = 0.3
VALIDATION_MAX_PICTURES = 32
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png")


class ExportRefused(Exception):
    """An export could not be made, or did not find what PyTorch finds."""


class ExportFailed(Exception):
    """Making or running the export raised: not a verdict on the export, so not remembered on disk."""


# (export folder, key) -> (when, reason): an export that failed is not tried again by this process
# before EXPORT_RETRY_SECONDS (a stream reconnecting would otherwise export again each time).
_failed_exports: dict[tuple[str, str], tuple[float, str]] = {}
EXPORT_RETRY_SECONDS = 600


@dataclass(frozen=True)
class Runtime:
    """What a detector runs: the backend, its precision, what ``YOLO()`` loads, and why."""

    backend: str
    precision: str
    path: str
    note: str
    threads: int

    def describe(self) -> str:
        return f"{self.backend} {self.precision}, {self.threads} inference thread(s): {self.note}"


@dataclass
class Agreement:
    """How an export's detections compare with PyTorch's on the same pictures."""

    pictures: int = 0
    matched: int = 0
    missing: int = 0  # firm PyTorch boxes the export did not find
    extra: int = 0  # firm boxes the export found and PyTorch did not
    relabelled: int = 0  # matched firm boxes given another class
    ious: list[float] = field(default_factory=list)

    @property
    def mean_iou(self) -> float:
        return sum(self.ious) / len(self.ious) if self.ious else 1.0

    def accepted(self, min_iou: float) -> bool:
        return not (self.missing or self.extra or self.relabelled) and self.mean_iou >= min_iou

    def summary(self) -> str:
        return (
            f"{self.pictures} pictures, {self.matched} boxes matched, mean IoU {self.mean_iou:.3f}, "
            f"{self.missing} missing, {self.extra} extra, {self.relabelled} with another class"
        )


def agreement(reference: list, other: list, *, confidence: float, into: Agreement | None = None) -> Agreement:
    """Compare one picture's detections (``Detection``-like: label, confidence, box).

    Pairs are matched greedily by overlap; a box left unmatched (or matched with another label)
    counts against the export only when it is firm: ``FIRM_MARGIN`` above the model's confidence.
    """
    result = into or Agreement()
    result.pictures += 1
    pairs = sorted(
        ((box_overlap(a.box, b.box), i, j) for i, a in enumerate(reference) for j, b in enumerate(other)), reverse=True
    )
    used_a, used_b = set(), set()
    firm = confidence + FIRM_MARGIN
    for iou, i, j in pairs:
        if iou < MATCH_IOU or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        result.matched += 1
        result.ious.append(iou)
        a, b = reference[i], other[j]
        if a.label != b.label and max(a.confidence, b.confidence) >= firm:
            result.relabelled += 1
    result.missing += sum(1 for i, a in enumerate(reference) if i not in used_a and a.confidence >= firm)
    result.extra += sum(1 for j, b in enumerate(other) if j not in used_b and b.confidence >= firm)
    return result


# -- which backend -------------------------------------------------------------------------------


def inference_threads() -> int:
    """``VIGIL_DETECTION_THREADS``, else the cores this process may use."""
    if settings.DETECTION_THREADS:
        return settings.DETECTION_THREADS
    return usable_cores()


def usable_cores(cgroup_root: str = "/sys/fs/cgroup", proc_cgroup: str = "/proc/self/cgroup") -> int:
    """The cores this process may run on (its CPU affinity), fewer where a container's CPU quota allows
    fewer (``docker run --cpus=2`` on a 64-core host shows 64 by affinity): threads beyond the quota
    are throttled, and a throttled inference thread stalls the others at every frame."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    quota = cgroup_cpu_quota(cgroup_root, proc_cgroup)
    if quota is not None:
        cores = min(cores, int(quota))  # 1.5 CPUs is 1 thread that is never throttled, not 2 that are
    return max(1, cores)


def cgroup_cpu_quota(cgroup_root: str = "/sys/fs/cgroup", proc_cgroup: str = "/proc/self/cgroup") -> float | None:
    """The smallest CPU quota (in CPUs) of this process's cgroup and its parents, or None without one.

    cgroup v2 writes ``cpu.max`` as ``"<quota> <period>"`` (``max`` for none); v1 ``cpu.cfs_quota_us``
    and ``cpu.cfs_period_us`` (-1 for none)."""
    root = Path(cgroup_root)
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        lines = []
    found: list[float] = []
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            for folder in _up_to(root, path):
                value = _read(folder / "cpu.max").split()
                if len(value) == 2 and value[0] != "max":
                    found.append(_ratio(value[0], value[1]))
        elif "cpu" in controllers.split(","):
            for base in (root / controllers, root / "cpu", root / "cpu,cpuacct"):
                for folder in _up_to(base, path):
                    quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
                    if quota and period and quota != "-1":
                        found.append(_ratio(quota, period))
    found = [value for value in found if value > 0]
    return min(found) if found else None


def _up_to(root: Path, path: str) -> list[Path]:
    """The cgroup folder of ``path`` under ``root`` and each parent up to ``root`` (each one's limit applies)."""
    folder = root / path.strip("/")
    return [folder, *[parent for parent in folder.parents if parent.is_relative_to(root)]]


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _ratio(quota: str, period: str) -> float:
    try:
        return int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return 0.0


def installed(backend: str) -> bool:
    module = RUNTIME_MODULES.get(backend)
    return module is None or importlib.util.find_spec(module) is not None


def on_cuda(device: str | None) -> bool:
    """Whether this model runs on a CUDA GPU here (its device, or auto on a host that has one)."""
    if device and not (device.startswith("cuda") or device.isdigit()):
        return False
    import torch

    return torch.cuda.is_available()


def backend_wanted(model, weights: str, device: str | None) -> tuple[str, str]:
    """The backend and precision asked for, ``auto`` resolved for this host, with the reason."""
    asked = settings.DETECTION_BACKEND or model.backend
    if asked != "auto":
        how = "VIGIL_DETECTION_BACKEND" if settings.DETECTION_BACKEND else "the model's backend"
        return asked, f"{asked} ({how})"
    return auto_backend(weights, device)


def auto_backend(weights: str, device: str | None) -> tuple[str, str]:
    """What ``auto`` means for these weights on this host, with the reason."""
    if weights.endswith(".onnx"):
        return "onnx", "auto: the weights are an ONNX model"
    if on_cuda(device):
        return "pytorch", "auto: PyTorch on a CUDA GPU"
    for backend in ("openvino", "onnx"):
        if installed(backend):
            return backend, f"auto: {backend} on a host without CUDA"
    return "pytorch", "auto: neither openvino nor onnxruntime is installed"


def host_summary() -> str:
    """One line for a worker's start-up: what auto means on this host, and the inference threads."""
    device = settings.DETECTION_DEVICE or None
    backend, why = auto_backend("weights.pt", None if device == "auto" else device)
    if settings.DETECTION_BACKEND not in ("", "auto"):
        backend, why = settings.DETECTION_BACKEND, f"{settings.DETECTION_BACKEND} (VIGIL_DETECTION_BACKEND)"
    if backend == "openvino":
        why += f" ({cpu_precision()} on this CPU)"
    threads = inference_threads()
    how = "VIGIL_DETECTION_THREADS" if settings.DETECTION_THREADS else "the cores this process may use"
    quota = cgroup_cpu_quota()
    if quota is not None and not settings.DETECTION_THREADS:
        how += f", within a CPU quota of {quota:g}"
    return (
        f"detection runtime: {why}; {threads} inference thread(s) ({how}); exports in {settings.DETECTION_EXPORT_DIR}"
    )


def cpu_precision() -> str:
    """The precision OpenVINO's default gives on this CPU: bf16 where it has the instructions."""
    import openvino as ov

    capabilities = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "bf16" if "BF16" in capabilities else "fp32"


def runtime_for(model, weights: str, device: str | None) -> Runtime:
    """The runtime a detector for ``model`` uses here: an accepted export, else PyTorch (saying why)."""
    threads = inference_threads()
    backend, why = backend_wanted(model, weights, device)
    precision = model.precision
    if backend == "pytorch":
        shown = "fp16" if precision == "fp16" and on_cuda(device) else "fp32"
        return Runtime("pytorch", shown, weights, why, threads)
    if weights.endswith(".onnx"):
        if backend != "onnx":
            return Runtime("onnx", "fp32", weights, f"{why}; an .onnx upload runs on ONNX Runtime", threads)
        return Runtime("onnx", "fp32", weights, why, threads)
    if not installed(backend):
        return Runtime("pytorch", "fp32", weights, f"{why}, but {RUNTIME_MODULES[backend]} is not installed", threads)
    if backend == "tensorrt" and not on_cuda(device):
        return Runtime("pytorch", "fp32", weights, f"{why}, but TensorRT needs a CUDA GPU", threads)
    try:
        path, verdict = exported(model, weights, backend, precision)
    except ExportRefused as exc:
        logger.warning("detection model %s: %s export refused, running on PyTorch: %s", model.name, backend, exc)
        return Runtime("pytorch", "fp32", weights, f"{backend} refused: {exc}", threads)
    shown = precision if precision in ("fp16", "int8") else "fp32"
    if backend == "openvino" and precision == "auto":
        shown = cpu_precision()
    note = f"{why}; export validated on {verdict['agreement']}"
    return Runtime(backend, shown, path, note, threads)


# -- exports ---------------------------------------------------------------------------------------

_digests: dict[tuple[str, int, int], str] = {}


def weights_digest(weights: str) -> str:
    """The weights file's SHA-256, remembered per path, size and modification time."""
    stat = Path(weights).stat()
    key = (weights, stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        with open(weights, "rb") as source:
            _digests[key] = file_sha256(File(source))
    return _digests[key]


def export_key(model, weights: str, backend: str, precision: str) -> str:
    import ultralytics

    return f"{weights_digest(weights)[:16]}-{backend}-{precision}-{model.image_size}-ul{ultralytics.__version__}"


def exported(model, weights: str, backend: str, precision: str) -> tuple[str, dict]:
    """The path of ``model``'s accepted export for ``backend``, exporting and validating it if needed.

    Raises ``ExportRefused`` when the export fails or disagrees with PyTorch; the refusal is kept with
    the export's key, so a worker does not export again on every start (new weights, a new image
    size or ultralytics version make a new key).
    """
    root = settings.DETECTION_EXPORT_DIR
    key = export_key(model, weights, backend, precision)
    failed = _failed_exports.get((str(root), key))
    if failed and time.monotonic() - failed[0] < EXPORT_RETRY_SECONDS:
        raise ExportRefused(failed[1])
    folder = root / key
    try:
        root.mkdir(parents=True, exist_ok=True)
        with open(root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another worker exporting this model: wait for it, then reuse
            verdict = _verdict(folder)
            if verdict is None:
                verdict = _export_validated(model, weights, backend, precision, folder)
    except (OSError, ExportFailed, ExportRefused) as exc:
        # A full disk, a folder that cannot be written, an export that crashed: nothing is remembered on
        # disk (it may work after the disk is freed); this process tries again after EXPORT_RETRY_SECONDS.
        reason = str(exc) if isinstance(exc, ExportRefused) else f"the export failed: {str(exc)[:200]}"
        _failed_exports[(str(root), key)] = (time.monotonic(), reason)
        raise ExportRefused(reason) from exc
    if not verdict["accepted"]:
        raise ExportRefused(verdict["reason"])
    return str(folder / verdict["path"]), verdict


def exports_forget() -> None:
    """Forget the exports that failed in this process (tests; a worker retries them by itself)."""
    _failed_exports.clear()


def export_discard(path: str) -> None:
    """Remove a cached export that would not load, so the next worker start builds it again."""
    root = settings.DETECTION_EXPORT_DIR.resolve()
    candidate = Path(path).resolve()
    folder = next((p for p in [candidate, *candidate.parents] if p.parent == root), None)
    if folder is not None:
        with open(root / f"{folder.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            shutil.rmtree(folder, ignore_errors=True)


def _verdict(folder: Path) -> dict | None:
    try:
        verdict = json.loads((folder / "verdict.json").read_text())
    except (OSError, ValueError):
        return None
    if verdict.get("accepted") and not (folder / verdict.get("path", "-")).exists():
        return None
    return verdict


def _export_validated(model, weights: str, backend: str, precision: str, folder: Path) -> dict:
    """Export into a temporary folder, validate, then move it into place (never half a folder)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    started = time.monotonic()
    try:
        try:
            made = _export(model, weights, backend, precision, staging)
            found = _compare(model, weights, made)
        except ExportRefused:
            raise
        except Exception as exc:  # ultralytics and the runtimes raise anything from ImportError to RuntimeError
            logger.exception("detection model %s: %s export failed", model.name, backend)
            raise ExportFailed(str(exc) or type(exc).__name__) from exc
        accepted = found.accepted(settings.DETECTION_EXPORT_MIN_IOU)
        verdict = {
            "accepted": accepted,
            "path": str(made.relative_to(staging)),
            "agreement": found.summary(),
            "reason": "" if accepted else f"its detections differ from PyTorch's: {found.summary()}",
            "details": {k: v for k, v in asdict(found).items() if k != "ious"},
        }
        verdict["seconds"] = round(time.monotonic() - started, 1)
        verdict["made_by"] = f"{socket.gethostname()}:{os.getpid()}"
        (staging / "verdict.json").write_text(json.dumps(verdict, indent=1))
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("detection model %s: %s export %s", model.name, backend, verdict.get("agreement") or verdict["reason"])
    return verdict


def _export(model, weights: str, backend: str, precision: str, staging: Path) -> Path:
    """ultralytics' own export of a copy of the weights (it writes next to the file it exports)."""
    from ultralytics import YOLO

    source = staging / Path(weights).name
    shutil.copyfile(weights, source)
    options = {"format": EXPORT_FORMATS[backend], "imgsz": model.image_size, "dynamic": True, "verbose": False}
    if precision == "fp16":
        options["quantize"] = 16
    if precision == "int8":
        options.update(quantize=8, data=str(_calibration_data(staging, YOLO(str(source), task="detect").names)))
    if backend == "tensorrt":
        options.update(batch=settings.DETECTION_BATCH_SIZE, device=0)
    made = Path(YOLO(str(source), task="detect").export(**options))
    source.unlink()
    return made


def validation_pictures() -> list[np.ndarray]:
    """The packaged photos, the pictures in ``VIGIL_DETECTION_VALIDATION_DIR`` (name order), then the
    latest frame of each camera: the scenes this city's models will see."""
    import cv2

    files = []
    if settings.ULTRALYTICS_ASSETS is not None:
        files += [settings.ULTRALYTICS_ASSETS / name for name in ("bus.jpg", "zidane.jpg")]
    folder = settings.DETECTION_VALIDATION_DIR
    if folder.is_dir():
        files += sorted(p for p in folder.iterdir() if p.suffix.lower() in PICTURE_SUFFIXES)
    pictures = [cv2.imread(str(path), cv2.IMREAD_COLOR) for path in files[:VALIDATION_MAX_PICTURES]]
    pictures += _camera_frames(VALIDATION_MAX_PICTURES - len(pictures))
    return [picture for picture in pictures if picture is not None]


def _camera_frames(limit: int) -> list[np.ndarray]:
    from django.db import DatabaseError

    from cameras.frames import InvalidImage
    from cameras.models import Camera
    from detection.samples import sample_frame

    frames = []
    try:
        ids = list(Camera.objects.filter(last_frame_at__isnull=False).order_by("pk").values_list("pk", flat=True))
    except DatabaseError:  # no database here (a bench, a host without one): the photos and the folder
        return frames
    for pk in ids[: max(0, limit)]:
        try:
            frames.append(sample_frame(f"camera:{pk}").image)
        except (OSError, InvalidImage):  # gone since (FileNotFoundError), or not a picture
            continue
    return frames


def _calibration_data(staging: Path, names: dict) -> Path:
    """A dataset file over the validation pictures (unlabelled: INT8 calibration needs only images)."""
    import cv2

    images = staging / "calibration" / "images"
    images.mkdir(parents=True)
    for i, picture in enumerate(validation_pictures()):
        cv2.imwrite(str(images / f"{i:04}.jpg"), picture)
    data = staging / "calibration" / "data.yaml"
    lines = [f"path: {images.parent}", "train: images", "val: images", "names:"]
    lines += [f"  {index}: {json.dumps(name)}" for index, name in names.items()]
    data.write_text("\n".join(lines) + "\n")
    return data


def _compare(model, weights: str, made: Path) -> Agreement:
    """Run PyTorch and the export on the validation pictures and compare what they find."""
    from ultralytics import YOLO

    from core.vision import boxes_of

    pictures = validation_pictures()
    if not pictures:
        raise ExportRefused("no validation pictures (the ultralytics photos are missing and the folder is empty)")
    options = {"imgsz": model.image_size, "conf": model.confidence, "iou": model.iou, "verbose": False}
    reference, export = YOLO(weights, task="detect"), YOLO(str(made), task="detect")
    device = 0 if made.suffix == ".engine" else "cpu"
    result = Agreement()
    for picture in pictures:
        expected = boxes_of(reference.predict(picture, device=device, **options)[0])
        found = boxes_of(export.predict(picture, device=device, **options)[0])
        agreement(expected, found, confidence=model.confidence, into=result)
    return result


def threads_set(backend, runtime: Runtime) -> None:
    """Size the inference threads of an ultralytics backend object to ``runtime.threads``.

    ultralytics leaves PyTorch at ``cpu_count - 1`` threads (one on a 2-core host) and lets the
    exported runtimes take every core; a worker given N cores should use N. With an exported model
    PyTorch only pre- and post-processes: one thread, so it does not compete with the runtime's.
    """
    import torch

    threads = runtime.threads
    if runtime.backend == "pytorch":
        torch.set_num_threads(threads)
        return
    torch.set_num_threads(1)
    kind = type(backend).__name__
    if kind == "OpenVINOBackend" and backend.ov_compiled_model.get_property("INFERENCE_NUM_THREADS") != threads:
        compile_model = backend.compile_model
        config = {**compile_model.keywords.get("config", {}), "INFERENCE_NUM_THREADS": threads}
        backend.compile_model = functools.partial(compile_model, config=config)
        xml = Path(runtime.path)
        xml = xml if xml.is_file() else next(xml.glob("*.xml"))
        backend.ov_compiled_model = backend.compile_model(backend.ov.Core().read_model(str(xml)))
    elif kind == "ONNXBackend" and getattr(backend, "session", None) is not None and backend.device.type == "cpu":
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        # ONNX Runtime spins its threads between frames by default: a core busy doing nothing.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        backend.session = onnxruntime.InferenceSession(runtime.path, options, providers=backend.session.get_providers())
