"""Recording benchmark: CPU per recorded 1080p camera, cameras a core records, disk per camera-hour.

    VIGIL_TEST_MEDIA=../shared/media .venv/bin/python bench/record.py [--seconds 30] [--cameras 1,4,8]

The street clip (1920x1080, 30 fps) is encoded once as a typical city camera sends it (H.264, 4 Mbit/s,
a keyframe every 2 s) and pushed in a loop, without re-encoding, to an RTSP relay (Debian's
rtsp-server-perl): the camera. Then N cameras pointing at it are recorded by Vigil's own ``Recorder``
(one ffmpeg ``-c copy`` each into MPEG-TS segments, each finished segment a database row, SQLite here)
over UDP (the relay serves no interleaved TCP)
for ``--seconds``. CPU is read from /proc for the recorders' ffmpeg processes and from getrusage for this
process (the recorder threads and their database writes); the camera (pusher and relay) is not counted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DATA_DIR", tempfile.mkdtemp(prefix="vigil-bench-"))
os.environ.setdefault("VIGIL_DEMO", "false")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from cameras.models import Camera  # noqa: E402
from cameras.tests.servers import _wait_for_port, free_port  # noqa: E402
from recordings.models import Segment  # noqa: E402
from recordings.recorder import Recorder  # noqa: E402
from recordings.services import segments_folder  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def camera_clip(media: Path, folder: Path) -> Path:
    """The street clip as a city camera sends it: H.264 1080p30, 4 Mbit/s, a keyframe every 2 s."""
    out = folder / "camera.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(media / "street.mp4"), "-an", "-c:v", "libx264",
         "-preset", "veryfast", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "8M", "-g", "60", "-keyint_min", "60",
         "-sc_threshold", "0", str(out)],
        check=True,
    )  # fmt: skip
    return out


def start_camera(clip: Path) -> tuple[str, list[subprocess.Popen]]:
    client, source = free_port(), free_port()
    relay = subprocess.Popen(
        ["rtsp-server-perl", "-c", str(client), "-s", str(source), "--client_listen_address", "127.0.0.1",
         "--source_listen_address", "127.0.0.1", "--rtp_start_port", str(20000 + client % 20000)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for_port(source)
    pusher = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip), "-c", "copy",
         "-f", "rtsp", f"rtsp://127.0.0.1:{source}/live"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(2)  # the relay announces the stream once the pusher has sent its first packets
    return f"rtsp://127.0.0.1:{client}/live", [pusher, relay]


def children_cpu(pids: set[int]) -> float:
    """CPU seconds (user + system) used so far by ``pids``."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def record(url: str, count: int, seconds: float) -> dict:
    Camera.objects.all().delete()
    cameras = [
        Camera.objects.create(name=f"Recorded {count}-{i}", latitude=52.37, longitude=4.89, source_url=url,
                              rtsp_transport="udp", recording=Camera.Recording.CONTINUOUS)
        for i in range(count)
    ]  # fmt: skip
    recorders = [Recorder(camera.pk) for camera in cameras]
    for recorder in recorders:
        recorder.start()
    deadline = time.monotonic() + 30
    while any(r._process is None for r in recorders) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)  # past the connection burst
    pids = {r._process.pid for r in recorders if r._process is not None}
    before_children, before_own, began = children_cpu(pids), own_cpu(), time.monotonic()
    before_bytes = sum(f.stat().st_size for c in cameras for f in segments_folder(c.pk).glob("*.ts"))
    time.sleep(seconds)
    children, own, wall = children_cpu(pids) - before_children, own_cpu() - before_own, time.monotonic() - began
    written = sum(f.stat().st_size for c in cameras for f in segments_folder(c.pk).glob("*.ts")) - before_bytes
    for recorder in recorders:
        recorder.stop()
    return {
        "cameras": count,
        "ffmpeg_pct": children / wall / count * 100,
        "python_pct": own / wall / count * 100,
        "segments": Segment.objects.filter(camera__in=cameras).count(),
        "gb_per_hour": written / wall * 3600 / count / 1e9,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--cameras", default="1,4,8")
    args = parser.parse_args()
    media = Path(os.environ.get("VIGIL_TEST_MEDIA", "../shared/media")).resolve()
    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as folder:
        clip = camera_clip(media, Path(folder))
        url, camera = start_camera(clip)
        try:
            print(f"1080p30 H.264 4 Mbit/s camera over RTSP; {args.seconds:.0f} s a run; segments of "
                  f"{settings.RECORDING_SEGMENT_SECONDS} s; % of one core per camera")  # fmt: skip
            print(f"{'cameras':>8}{'ffmpeg %':>10}{'Vigil %':>9}{'total %':>9}{'cams/core':>11}{'GB/cam-h':>10}")
            for count in (int(c) for c in args.cameras.split(",")):
                r = record(url, count, args.seconds)
                total = r["ffmpeg_pct"] + r["python_pct"]
                print(f"{count:>8}{r['ffmpeg_pct']:>10.2f}{r['python_pct']:>9.2f}{total:>9.2f}"
                      f"{100 / total:>11.0f}{r['gb_per_hour']:>10.2f}")  # fmt: skip
        finally:
            for process in camera:
                process.kill()
                process.wait()


if __name__ == "__main__":
    main()
