"""The OpenAPI schema as clients meet the API: error answers and GeoJSON bodies described too.

drf-spectacular documents the success answer of each operation. A client also meets the errors
DRF gives on any operation (bad input, no or expired token, a role without the permission, an
unknown id or cursor, the throttle) and, for map clients, ``?format=geojson``; both are added here
so that generated clients and schemathesis see the API that is really served.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance, is_list_serializer, is_serializer

from core.geojson import GeoJSONRenderer

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, for a person to read."}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Messages per field (``non_field_errors`` for the whole input), or ``detail``.",
    "additionalProperties": {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {}}, {"type": "object"}],
    },
}
ERRORS = {
    "400": ("The input is not valid; the body says which field and why.", "FieldErrors"),
    "401": ("No credentials, an unknown or an expired token.", "Error"),
    "403": ("The user's role does not allow this.", "Error"),
    "404": ("No such object, cursor or format.", "Error"),
    "429": ("Too many requests with this token; see Retry-After.", "Error"),
}
BODY_ERRORS = {"415": ("The body's Content-Type is not accepted here.", "Error")}
COMPONENTS = {"Error": ERROR, "FieldErrors": FIELD_ERRORS}


def _feature(properties_ref: dict) -> dict:
    return {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": {
                "type": "object",
                "nullable": True,
                "required": ["type", "coordinates"],
                "properties": {
                    "type": {"type": "string", "enum": ["Point"]},
                    "coordinates": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 2,
                        "maxItems": 2,
                        "description": "[longitude, latitude] in degrees (WGS 84)",
                    },
                },
            },
            "properties": properties_ref,
        },
    }


def _feature_collection(properties_ref: dict, *, paginated: bool) -> dict:
    schema = {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": _feature(properties_ref)},
        },
    }
    if paginated:  # the cursor links stay, as foreign members
        link = {"type": "string", "format": "uri", "nullable": True}
        schema["properties"].update(next=link, previous=link)
    return schema


class VigilAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response") -> dict:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {**ERRORS, **(BODY_ERRORS if self.method in ("POST", "PUT", "PATCH") else {})}
        for code, (description, name) in errors.items():
            component = ResolvedComponent(name, ResolvedComponent.SCHEMA, schema=COMPONENTS[name], object=name)
            self.registry.register_on_missing(component)
            responses.setdefault(code, self._get_response_for_code(component.ref, code, direction=direction))
            responses[code]["description"] = responses[code].get("description") or description
        return responses

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response") -> dict:
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        content, serializer = response.get("content", {}), force_instance(serializer)
        if GeoJSONRenderer.media_type in content and "200" <= status_code < "300" and is_serializer(serializer):
            many = is_list_serializer(serializer) or self._is_list_view(serializer)
            item = serializer.child if is_list_serializer(serializer) else serializer
            ref = self.resolve_serializer(item, direction).ref
            schema = _feature_collection(ref, paginated=self._get_paginator() is not None) if many else _feature(ref)
            content[GeoJSONRenderer.media_type]["schema"] = schema
        return response
