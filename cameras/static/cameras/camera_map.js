// The camera page's map: click or drag to set the latitude and longitude (a static file: the
// Content-Security-Policy runs no inline script; the tiles and centre come from data- attributes).
(function () {
  const element = document.getElementById("camera-map");
  const lat = document.getElementById("id_latitude"), lon = document.getElementById("id_longitude");
  if (!element || !lat || !lon) return;
  // Beside what it sets: the map goes right after the "Place" fields, not below every other section.
  const section = element.closest("fieldset"), placeFields = lat.closest("fieldset");
  if (section && placeFields && section !== placeFields) placeFields.after(section);
  const center = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
  const start = (lat.value && lon.value) ? [parseFloat(lat.value), parseFloat(lon.value)] : center;
  const map = L.map(element).setView(start, 16);
  L.tileLayer(element.dataset.tilesUrl, {attribution: element.dataset.attribution, maxZoom: 19}).addTo(map);
  const marker = L.marker(start, {draggable: true}).addTo(map);
  function place(latlng) {
    marker.setLatLng(latlng);
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
  }
  map.on("click", (e) => place(e.latlng));
  marker.on("dragend", () => place(marker.getLatLng()));
  [lat, lon].forEach((input) => input.addEventListener("change", () => {
    const p = [parseFloat(lat.value), parseFloat(lon.value)];
    if (!isNaN(p[0]) && !isNaN(p[1])) { marker.setLatLng(p); map.panTo(p); }
  }));
})();
