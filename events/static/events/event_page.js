/* The event page's small map: the camera and, while the event is open, its danger perimeter. */
(function () {
  "use strict";
  const box = document.getElementById("event-map");
  if (!box || !window.L) return;
  const here = [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)];
  const radius = parseInt(box.dataset.radius, 10) || 0;
  const map = L.map(box, {zoomControl: false}).setView(here, 17);
  L.control.zoom({zoomInTitle: gettext("Zoom in"), zoomOutTitle: gettext("Zoom out")}).addTo(map);
  L.tileLayer(box.dataset.tiles, {attribution: box.dataset.attribution, maxZoom: 19}).addTo(map);
  L.marker(here).addTo(map);
  if (radius > 0) {
    const open = box.dataset.open === "1";
    const perimeter = L.circle(here, {radius: radius, color: open ? "#cf222e" : "#6e7781", fillOpacity: 0.15}).addTo(map);
    map.fitBounds(perimeter.getBounds(), {padding: [10, 10]});
    window.vigilEventPerimeter = perimeter;
  }
  window.vigilEventMap = map; // tests read the perimeter from here
})();
