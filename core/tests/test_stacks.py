"""The thread dump runs in a fresh interpreter, as in a stream worker: in pytest's own crowded process it
once segfaulted CPython 3.11 (see core/stacks.py)."""

import subprocess
import sys
import textwrap

from django.conf import settings

_SCRIPT = textwrap.dedent(
    """
    import io, os, signal, sys, threading
    from core.stacks import dump_threads_on, format_threads

    def _parked_in_a_known_place(release):
        release.wait(30)

    release = threading.Event()
    thread = threading.Thread(target=_parked_in_a_known_place, args=(release,), name="parked-one")
    thread.start()
    if sys.argv[1] == "format":
        print(format_threads())
    else:
        out = io.StringIO()
        dump_threads_on(signal.SIGUSR1, stream=out)
        os.kill(os.getpid(), signal.SIGUSR1)
        print(out.getvalue())  # the handler ran in the main thread before kill() returned here
        print("went on")
    release.set()
    thread.join()
    """
)


def _run(mode: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_dump_names_every_thread_and_where_it_waits():
    text = _run("format")
    assert "Thread parked-one 0x" in text and "Thread MainThread 0x" in text
    assert "(most recent call first)" in text
    parked = text.split("Thread parked-one 0x")[1].split("\nThread ")[0]
    # Most recent call first: the wait, then the function that called it, then the thread's start.
    assert parked.index("in wait") < parked.index("in _parked_in_a_known_place") < parked.index("in _bootstrap")


def test_the_signal_writes_the_dump_and_the_process_goes_on():
    text = _run("signal")
    assert "Thread parked-one 0x" in text and "in _parked_in_a_known_place" in text
    assert text.rstrip().endswith("went on")
