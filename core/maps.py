"""Map tiles for the small maps on admin pages, from the same settings as the live map."""

from django.conf import settings
from django.utils.translation import gettext

# The default attribution, in the page's language; one set in VIGIL_MAP_ATTRIBUTION is shown as written.
DEFAULT_ATTRIBUTION = "&copy; OpenStreetMap contributors"


def map_attribution() -> str:
    attribution = settings.LEAFLET_CONFIG["TILES"][0][2]["attribution"]
    return gettext("&copy; OpenStreetMap contributors") if attribution == DEFAULT_ATTRIBUTION else attribution


def tiles_context() -> dict:
    _, tiles_url, _options = settings.LEAFLET_CONFIG["TILES"][0]
    return {
        "map_tiles_url": tiles_url,
        "map_attribution": map_attribution(),
        "map_center": settings.LEAFLET_CONFIG["DEFAULT_CENTER"],
    }
