"""Where each thread of a long-running process is, on demand (``kill -USR1 <pid>``).

``faulthandler.register`` dumps from a C signal handler while the other threads keep running, so a
dump can stop half-way through a thread that is changing its stack (seen on CI: cut in the middle of
a database call). A Python-level handler runs in the main thread between bytecodes with the GIL held:
``sys._current_frames()`` is then one consistent snapshot, written in a single write. Once, inside
pytest's own crowded process (browser drivers, servers, greenlets), a dump segfaulted CPython 3.11; the
cause is not pinned down (greenlets alone did not reproduce it), so the tests dump in a fresh interpreter
and the stream worker test signals a real worker.
"""

import signal
import sys
import threading
import traceback


def format_threads() -> str:
    """Every thread's stack, most recent call first, in faulthandler's layout."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    parts = []
    for ident, frame in sys._current_frames().items():
        parts.append(f"Thread {names.get(ident, '?')} 0x{ident:016x} (most recent call first):")
        for entry in reversed(traceback.extract_stack(frame)):
            parts.append(f'  File "{entry.filename}", line {entry.lineno} in {entry.name}')
        parts.append("")
    return "\n".join(parts) + "\n"


def dump_threads_on(signum: int = signal.SIGUSR1, stream=None) -> None:
    """Install the handler (main thread only, like every ``signal.signal``)."""

    def dump(*_) -> None:
        out = stream or sys.stderr
        out.write(format_threads())
        out.flush()

    signal.signal(signum, dump)
