import io
import os
import signal
import threading

from core.stacks import dump_threads_on, format_threads


def _parked_in_a_known_place(release: threading.Event) -> None:
    release.wait(30)


def test_a_dump_names_every_thread_and_where_it_waits():
    release = threading.Event()
    thread = threading.Thread(target=_parked_in_a_known_place, args=(release,), name="parked-one")
    thread.start()
    try:
        text = format_threads()
    finally:
        release.set()
        thread.join()
    assert "Thread parked-one 0x" in text and "Thread MainThread 0x" in text
    assert "(most recent call first)" in text
    parked = text.split("Thread parked-one 0x")[1].split("\nThread ")[0]
    # Most recent call first: the wait, then the function that called it, then the thread's start.
    assert parked.index("in wait") < parked.index("in _parked_in_a_known_place") < parked.index("in _bootstrap")


def test_the_signal_writes_the_dump_and_the_process_goes_on():
    out = io.StringIO()
    previous = signal.getsignal(signal.SIGUSR1)
    try:
        dump_threads_on(signal.SIGUSR1, stream=out)
        os.kill(os.getpid(), signal.SIGUSR1)
        # The handler runs in the main thread at the next bytecode: by the time kill() returns here.
        assert "in test_the_signal_writes_the_dump_and_the_process_goes_on" in out.getvalue()
    finally:
        signal.signal(signal.SIGUSR1, previous)
