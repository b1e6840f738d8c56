"""``?format=geojson`` for the API's map objects (cameras, events): RFC 7946 points."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import JSONRenderer


def _feature(item: dict[str, Any]) -> dict[str, Any]:
    # The properties keep latitude and longitude: the same object as the JSON answer, one schema.
    properties = dict(item)
    latitude, longitude = properties.get("latitude"), properties.get("longitude")
    geometry = None
    if latitude is not None and longitude is not None:
        geometry = {"type": "Point", "coordinates": [float(longitude), float(latitude)]}
    return {"type": "Feature", "id": item.get("id"), "geometry": geometry, "properties": properties}


class GeoJSONRenderer(JSONRenderer):
    """Points as RFC 7946 features; a page's ``next`` link stays as a foreign member."""

    media_type = "application/geo+json"
    format = "geojson"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            return super().render(data, accepted_media_type, renderer_context)
        if isinstance(data, dict) and "results" in data:
            page = {key: value for key, value in data.items() if key != "results"}
            data = {"type": "FeatureCollection", "features": [_feature(i) for i in data["results"]], **page}
        elif isinstance(data, list):
            data = {"type": "FeatureCollection", "features": [_feature(i) for i in data]}
        elif isinstance(data, dict):
            data = _feature(data)
        return super().render(data, accepted_media_type, renderer_context)


class GeoJSONMixin:
    """Offer ``?format=geojson`` (or ``Accept: application/geo+json``) on a viewset's list and retrieve
    (and the other reads named in ``geojson_actions``)."""

    geojson_actions: tuple[str, ...] = ("list", "retrieve")

    def get_renderers(self) -> list:
        renderers = super().get_renderers()
        if getattr(self, "action", None) in self.geojson_actions:
            renderers.append(GeoJSONRenderer())
        return renderers
