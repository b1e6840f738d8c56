"""Map tiles for the small maps on admin pages, from the same settings as the live map."""

from django.conf import settings


def tiles_context() -> dict:
    _, tiles_url, options = settings.LEAFLET_CONFIG["TILES"][0]
    return {
        "map_tiles_url": tiles_url,
        "map_attribution": options["attribution"],
        "map_center": settings.LEAFLET_CONFIG["DEFAULT_CENTER"],
    }
