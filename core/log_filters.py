"""Logging filters wired into ``LOGGING``: a refused request is one line in the log, not a traceback."""

from __future__ import annotations

import logging


class ClientErrorsOnOneLine(logging.Filter):
    """Drop the traceback from the records of 4xx answers (403 PermissionDenied, 400 SuspiciousOperation).

    Django logs a view's ``PermissionDenied`` with the exception attached, so every refused probe
    wrote a dozen lines of traceback: noise that hides the 5xx tracebacks worth reading. The line
    itself (``Forbidden (Permission denied): /admin/...``, status and path) stays; 5xx keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and record.exc_info:
            reason = record.exc_info[1]
            text = str(reason).strip() if reason is not None else ""
            if text and text not in record.getMessage():
                said = text.splitlines()[0][:200].replace("%", "%%")  # msg is %-formatted with its args
                record.msg = f"{record.msg} ({type(reason).__name__}: {said})"
            record.exc_info, record.exc_text = None, None
        return True


class HealthAnswersQuiet(logging.Filter):
    """Drop Django's "Service Unavailable: /healthz" records: a 503 there is the probe's answer, not a
    server error, and the health view says once when the health changes (``system.views``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", "")
        return not (getattr(record, "status_code", None) == 503 and path.rstrip("/") == "/healthz")
