"""A request body that the server cannot read is the client's error (a 400 or 413), never a 500.

JSON nested a few thousand deep makes ``json.loads`` raise RecursionError, which DRF's parser and
most forms do not expect; a body beyond ``DATA_UPLOAD_MAX_MEMORY_SIZE`` raises RequestDataTooBig,
which Django answers with its HTML 400 page, under /api/ too. The API's parser refuses deep JSON
with a ParseError; the middleware is the last resort for every other reader (third-party forms).
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.errors import client_error

logger = logging.getLogger(__name__)
# Errors of a request's body (its size, its number of fields, its nesting), not of the server.
BODY_ERRORS = (RecursionError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


class SafeJSONParser(JSONParser):
    """DRF's JSON parser; a body nested too deeply for Python's parser is a 400 ParseError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


class BodyErrorMiddleware:
    """Answers a view's RecursionError or too-big/too-many-fields body with a 400/413 (JSON under /api/)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, BODY_ERRORS):
            return None
        logger.warning("Refused a request body on %s: %s", request.path, type(exception).__name__)
        if isinstance(exception, RecursionError):
            exception = SuspiciousOperation("The request is nested too deeply.")
        return client_error(request, exception)
