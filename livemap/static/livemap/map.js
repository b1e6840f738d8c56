/* Vigil live map: cameras and events from the API, kept current over the WebSocket.
 *
 * Nothing is missed: the socket is opened first, then the state is (re)loaded from the API
 * ("changed since" the newest change seen, minus a margin), and every item is applied only
 * if it is not older than what the page already has. So a message and a fetch may overlap
 * in any order and the page still ends on the newest state.
 *
 * Thousands of cameras: markers are clustered (leaflet.markercluster) below CLUSTER_UNTIL_ZOOM, and
 * cameras are loaded by viewport (``bbox``, the view plus a margin, compact rows, paged) when the map
 * stops moving, never twice for an area already loaded. Events are loaded whole (the feed lists them
 * all, wherever the map looks) and clustered too.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("vigil-config").textContent);
  // Words through Django's JavaScript catalogue (/jsi18n/, loaded before this file); dates and numbers
  // in the page's language (<html lang>, set by Django from the user's choice).
  const LANG = document.documentElement.lang || "en";
  // Every text is written out as gettext("…") so that makemessages finds it.
  const fmt = (translated, values) => interpolate(translated, values, true);
  const number = (n) => (typeof n === "number" ? n.toLocaleString(LANG) : String(n ?? ""));
  const word = (kind, value) => (config.labels && config.labels[kind] && config.labels[kind][value]) || value;
  // Statuses and severities in lower case, as the map always wrote them ("acknowledged", "critical").
  const lower = (kind, value) => String(word(kind, value)).toLocaleLowerCase(LANG);
  // The labels Vigil's own models produce (events/labels.py); another model's label shows as it is.
  const labelName = (label) => word("label", label);
  const OPEN = ["new", "acknowledged", "dispatched"];
  const CATCH_UP_MARGIN_MS = 10000;
  const MAX_BACKOFF_S = 30;
  const FEED_LIMIT = 200;
  // From this zoom every marker is drawn on its own (co-located pins overlap, as before clustering):
  // the zoom an event opened from the list is shown at.
  const CLUSTER_UNTIL_ZOOM = 16;
  const VIEW_MARGIN = 0.5; // load half a view more on every side, so a short pan needs no request
  // Pages of a thousand: each is drawn as it comes (bigger first pages, measured, painted later).
  const CAMERA_PAGE_SIZE = 1000;
  const SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"];

  const map = L.map("map", { zoomControl: false }).setView(config.center, config.zoom);
  L.control.zoom({ zoomInTitle: gettext("Zoom in"), zoomOutTitle: gettext("Zoom out") }).addTo(map);
  L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: config.tiles.maxZoom || 19 }).addTo(map);
  // Not animated: markercluster skips its own moveend while a split or merge animates, so a pan
  // started then left the markers of the new area undrawn until the next move (and thousands of
  // animated markers cost more than they show).
  const clusterOptions = { showCoverageOnHover: false, disableClusteringAtZoom: CLUSTER_UNTIL_ZOOM, animate: false };
  // Cameras come in pages of a thousand: added in chunks, so the page stays responsive meanwhile. Events
  // are added at once: a linked event's popup opens right after they are loaded.
  const cameraLayer = L.markerClusterGroup({ ...clusterOptions, chunkedLoading: true, iconCreateFunction: cameraClusterIcon }).addTo(map);
  const eventLayer = L.markerClusterGroup({ ...clusterOptions, iconCreateFunction: eventClusterIcon }).addTo(map);
  const perimeterLayer = L.layerGroup().addTo(map);
  L.control.layers(null, { [gettext("Cameras")]: cameraLayer, [gettext("Events")]: eventLayer, [gettext("Danger perimeters")]: perimeterLayer }).addTo(map);

  // A popup keeps clear of the zoom buttons (top left) and of the map's edges.
  const POPUP_OPTIONS = { autoPanPaddingTopLeft: L.point(56, 16), autoPanPaddingBottomRight: L.point(16, 16) };
  // A snapshot makes its popup taller once it has loaded: lay it out and pan again then, or its top is
  // left under the page's header.
  map.on("popupopen", (e) => {
    // Never taller than the map (a phone's is shorter than an event's popup): the popup scrolls instead.
    const tallest = Math.max(160, map.getSize().y - 48);
    if (e.popup.options.maxHeight !== tallest) { e.popup.options.maxHeight = tallest; e.popup.update(); }
    e.popup.getElement().querySelectorAll("img").forEach((img) => {
      if (!img.complete) img.addEventListener("load", () => { if (e.popup.isOpen()) e.popup.update(); }, { once: true });
    });
  });

  const cameras = new Map(); // id -> {data, marker}
  const events = new Map(); // id -> {data, marker, perimeter, flashUntil}
  let newestChange = null; // newest ``updated_at`` seen, in the server's clock
  let fitted = false;
  const loadedBoxes = []; // the areas (L.LatLngBounds) whose cameras are loaded since the socket opened
  if (config.camera_extent) map.fitBounds(config.camera_extent, { padding: [40, 40], maxZoom: 16, animate: false });
  let linkedId = null; // the event a notification's link (#event-42) asked for

  // The first run's "what you are looking at" note, until the user closes it (kept in this browser).
  const demoNote = document.getElementById("demo-note");
  if (demoNote) {
    const closed = () => { try { return localStorage.getItem("vigil.demoNote") === "closed"; } catch (e) { return false; } };
    demoNote.hidden = closed();
    document.getElementById("demo-note-close").addEventListener("click", () => {
      demoNote.hidden = true;
      try { localStorage.setItem("vigil.demoNote", "closed"); } catch (e) { /* private mode: closed for this page */ }
    });
  }

  // --- Helpers --------------------------------------------------------------------------
  const esc = (value) =>
    String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  // Times as the admin writes them (vigilsite/times.py): 14:05 today, 2 Dec 14:05 this year, with the
  // year before; the full time on hover is the browser's own.
  const when = (iso) => {
    if (!iso) return "—";
    const d = new Date(iso), now = new Date();
    const hm = d.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    if (d.toDateString() === now.toDateString()) return hm;
    const day = d.toLocaleDateString(LANG, { day: "numeric", month: "short", ...(d.getFullYear() === now.getFullYear() ? {} : { year: "numeric" }) });
    return `${day} ${hm}`;
  };
  const ago = (iso) => {
    const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 60) return gettext("just now");
    if (s < 3600) return fmt(gettext("%(n)s min ago"), { n: number(Math.floor(s / 60)) });
    if (s < 86400) return fmt(gettext("%(n)s h ago"), { n: number(Math.floor(s / 3600)) });
    return fmt(gettext("%(n)s d ago"), { n: number(Math.floor(s / 86400)) });
  };
  const csrfToken = () => (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "";
  const statusLabel = (status) => lower("status", status);

  class SessionExpired extends Error {}

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } });
    if (response.status === 401 || response.status === 403) throw new SessionExpired(String(response.status));
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  async function getAllFeatures(url) {
    const features = [];
    let next = url;
    while (next) { // every page: newest come first, so a cut catch-up lost the oldest changes for good
      const page = await getJSON(next);
      features.push(...page.features);
      next = page.next;
    }
    return features;
  }

  function featureData(feature) {
    const data = { ...feature.properties, id: feature.id };
    if (feature.geometry) [data.longitude, data.latitude] = feature.geometry.coordinates;
    return data;
  }

  // --- Filters --------------------------------------------------------------------------
  const filtersForm = document.getElementById("filters");
  const soundToggle = document.getElementById("sound-toggle");
  soundToggle.checked = localStorage.getItem("vigil.sound") === "on";

  function filters() {
    const form = new FormData(filtersForm);
    return { severities: new Set(form.getAll("severity")), status: form.get("status"), windowS: Number(form.get("window")) };
  }

  function visible(data, f = filters()) {
    if (!f.severities.has(data.severity)) return false;
    if (f.status === "open" && !OPEN.includes(data.status)) return false;
    if (f.status !== "open" && f.status !== "all" && data.status !== f.status) return false;
    return Date.now() - new Date(data.last_seen).getTime() <= f.windowS * 1000;
  }

  filtersForm.addEventListener("change", (e) => {
    if (e.target.id === "desktop-toggle") return; // its own handler, below
    if (e.target === soundToggle) {
      localStorage.setItem("vigil.sound", soundToggle.checked ? "on" : "off");
      if (soundToggle.checked) beep(); // also unlocks audio: browsers need a click first
      return;
    }
    if (e.target.name === "window") loadEvents(null);
    redrawAll();
  });

  // --- Cameras --------------------------------------------------------------------------
  function cameraIcon(data) {
    const cone = data.heading === null || data.heading === undefined ? "" :
      `<path class="cone" d="M0 0 L-9 -26 A28 28 0 0 1 9 -26 Z" transform="rotate(${Number(data.heading)})"/>`;
    return L.divIcon({
      className: "",
      iconSize: [20, 20],
      iconAnchor: [10, 10],
      popupAnchor: [0, -10],
      html: `<div class="camera-pin ${esc(data.status)}" data-camera-id="${data.id}" title="${esc(data.name)}">
        <svg width="20" height="20" viewBox="-10 -10 20 20">${cone}<circle class="body" r="7"/></svg></div>`,
    });
  }

  function cameraClusterIcon(cluster) {
    const markers = cluster.getAllChildMarkers();
    const offline = markers.filter((m) => m.options.status === "offline").length;
    const n = cluster.getChildCount();
    const title = offline
      ? fmt(gettext("%(n)s cameras, %(offline)s offline"), { n: number(n), offline: number(offline) })
      : fmt(gettext("%(n)s cameras"), { n: number(n) });
    return L.divIcon({
      className: "",
      iconSize: [34, 34],
      html: `<div class="cluster camera-cluster${offline ? " has-offline" : ""}" data-count="${n}" data-offline="${offline}" title="${esc(title)}">${esc(number(n))}</div>`,
    });
  }

  // An event cluster is as alarming as its worst open event; only closed ones inside: greyed.
  function eventClusterIcon(cluster) {
    const markers = cluster.getAllChildMarkers();
    const open = markers.filter((m) => OPEN.includes(m.options.status));
    const ranked = (open.length ? open : markers).map((m) => SEVERITY_ORDER.indexOf(m.options.severity)).filter((i) => i >= 0);
    const worst = SEVERITY_ORDER[ranked.length ? Math.min(...ranked) : SEVERITY_ORDER.length - 1];
    const n = cluster.getChildCount();
    const title = fmt(gettext("%(n)s events, the worst %(severity)s"), { n: number(n), severity: lower("severity", worst) });
    return L.divIcon({
      className: "",
      iconSize: [36, 36],
      html: `<div class="cluster event-cluster sev-${worst}${open.length ? "" : " closed"}" data-count="${n}" data-severity="${worst}" title="${esc(title)}" role="button" aria-label="${esc(title)}">${esc(number(n))}</div>`,
    });
  }

  // A camera without a frame yet: its picture says so. One listener (error events do not bubble, so
  // it listens in the capture phase) instead of an onerror= attribute, which the CSP never runs.
  document.addEventListener("error", (event) => {
    const image = event.target;
    if (image instanceof HTMLImageElement && image.dataset.noFrame) image.replaceWith(image.dataset.noFrame);
  }, true);

  function cameraPopup(data) {
    // A camera loaded in the map's compact form has no details yet: the popup fetches them on opening.
    const detailed = data.latest_frame_url !== undefined;
    const counts = Object.entries(data.latest_counts || {});
    const countsHtml = !detailed ? "" : counts.length
      ? counts.map(([label, n]) => `<dt>${esc(labelName(label))}</dt><dd>${esc(number(n))}</dd>`).join("")
      : `<dt>${esc(gettext("Counts"))}</dt><dd>${esc(gettext("none yet"))}</dd>`;
    return `<div class="popup camera-popup" data-camera-id="${data.id}">
      <h3>${esc(data.name)}</h3>
      ${detailed ? `<img alt="${esc(fmt(gettext("Latest frame of %(name)s"), { name: data.name }))}" src="${esc(data.latest_frame_url)}?t=${Date.now()}" data-no-frame="${esc(gettext("No frame yet."))}">` : ""}
      <dl><dt>${esc(gettext("Status"))}</dt><dd><span class="status">${esc(lower("camera_status", data.status))}</span></dd>
      ${detailed || data.last_frame_at !== undefined ? `<dt>${esc(gettext("Last frame"))}</dt><dd>${when(data.last_frame_at)}</dd>` : ""}${countsHtml}
      ${data.counted_at ? `<dt>${esc(gettext("Counted"))}</dt><dd>${when(data.counted_at)}</dd>` : ""}</dl>
      ${data.last_error ? `<p class="error">${esc(data.last_error)}</p>` : ""}
      ${config.can_view_cameras && config.live_url ? `<p><a class="camera-live" href="${esc(config.live_url.replace("/0/", `/${data.id}/`))}">${esc(gettext("Live"))}</a></p>` : ""}</div>`;
  }

  // ``batch``: markers to add to the cluster in one go (a page of thousands), instead of one by one.
  function upsertCamera(data, batch = null) {
    const known = cameras.get(data.id);
    if (known) data = { ...known.data, ...data };
    if (data.latitude === undefined) return; // a status message for a camera not loaded (not in view yet)
    if (known) {
      const moved = known.data.status !== data.status;
      known.data = data;
      known.marker.options.status = data.status;
      known.marker.setIcon(cameraIcon(data));
      known.marker.setPopupContent(cameraPopup(data));
      if (moved) cameraLayer.refreshClusters(known.marker); // its cluster's offline ring
      return;
    }
    const marker = L.marker([data.latitude, data.longitude], { icon: cameraIcon(data), keyboard: true, zIndexOffset: -100, status: data.status });
    marker.bindPopup(() => cameraPopup(cameras.get(data.id).data), POPUP_OPTIONS);
    marker.on("popupopen", () => refreshCamera(data.id));
    cameras.set(data.id, { data, marker });
    if (batch) batch.push(marker);
    else cameraLayer.addLayer(marker);
  }

  async function refreshCamera(id) {
    try {
      const camera = featureData(await getJSON(`${config.api.cameras}${id}/?format=geojson`));
      upsertCamera(camera);
    } catch (error) { /* the popup keeps what it had */ }
  }

  // The view plus a margin, as the API's bbox (min_lon,min_lat,max_lon,max_lat) within the world's range.
  function boxAround(bounds) {
    const padded = bounds.pad(VIEW_MARGIN);
    const clamp = (v, limit) => Math.max(-limit, Math.min(limit, v));
    const south = clamp(padded.getSouth(), 90), north = clamp(padded.getNorth(), 90);
    const west = clamp(padded.getWest(), 180), east = clamp(padded.getEast(), 180);
    return { bounds: L.latLngBounds([south, west], [north, east]), bbox: [west, south, east, north].map((v) => v.toFixed(6)).join(",") };
  }

  // The cameras in view, unless an area already loaded holds the whole view: page by page, each page
  // added to the cluster at once, so the first markers show before the last page has come.
  async function loadCameras() {
    if (!config.can_view_cameras) return;
    const view = map.getBounds();
    if (loadedBoxes.some((box) => box.contains(view))) return;
    const { bounds, bbox } = boxAround(view);
    loadedBoxes.push(bounds); // before the requests: a second moveend meanwhile does not ask again
    try {
      let next = `${config.api.camera_markers}?${new URLSearchParams({ format: "geojson", page_size: String(CAMERA_PAGE_SIZE), bbox })}`;
      while (next) {
        const page = await getJSON(next);
        const batch = [];
        page.features.map(featureData).forEach((data) => upsertCamera(data, batch));
        cameraLayer.addLayers(batch);
        next = page.next;
      }
    } catch (error) {
      loadedBoxes.splice(loadedBoxes.indexOf(bounds), 1); // not loaded after all: asked again next time
      throw error;
    }
  }
  map.on("moveend", () => {
    if (document.body.dataset.connection === "live") loadCameras().catch(handleLoadError);
  });

  // --- Events ---------------------------------------------------------------------------
  function eventIcon(data, flashing) {
    const closed = OPEN.includes(data.status) ? "" : " closed";
    return L.divIcon({
      className: "",
      iconSize: [22, 22],
      iconAnchor: [11, 11],
      popupAnchor: [0, -11],
      html: `<div class="event-pin sev-${esc(data.severity)}${closed}${flashing ? " flash" : ""}" data-event-id="${data.id}"
        title="${esc(data.title)}" role="button" aria-label="${esc(data.title)}"></div>`,
    });
  }

  function eventPopup(data, error = "") {
    const buttons = [];
    if (config.can_work_events && data.actions.includes("acknowledge")) {
      buttons.push(`<button type="button" data-action="acknowledge" data-event-id="${data.id}">${esc(gettext("Acknowledge"))}</button>`);
    }
    if (config.can_open_admin) buttons.push(`<a href="${esc(data.admin_url)}" target="_blank" rel="noopener">${esc(gettext("Open in admin"))}</a>`);
    // The clip is asked for on a click only: most popups are glanced at, and a video would load at each.
    const clip = config.can_view_cameras && config.clip_url && data.kind === "detection"
      ? `<div class="event-clip-slot"><button type="button" class="event-clip-play" data-clip-event="${data.id}">${esc(gettext("Play clip"))}</button></div>`
      : "";
    return `<div class="popup event-popup" data-event-id="${data.id}">
      ${data.snapshot_url ? `<img alt="${esc(gettext("Annotated snapshot"))}" src="${esc(data.snapshot_url)}?v=${encodeURIComponent(data.updated_at)}">` : ""}
      ${clip}
      <h3>${esc(data.title)}</h3>
      <span class="sevtag sev-${esc(data.severity)}">${esc(lower("severity", data.severity))}</span>
      <span class="status status-${esc(data.status)}" data-role="status">${esc(statusLabel(data.status))}</span>
      <dl><dt>${esc(gettext("Camera"))}</dt><dd>${esc(data.camera_name)}</dd>
      <dt>${esc(gettext("Label"))}</dt><dd>${esc(labelName(data.label))}</dd>
      <dt>${esc(gettext("Count"))}</dt><dd>${esc(fmt(gettext("%(peak)s (seen %(hits)s×)"), { peak: number(data.peak_count), hits: number(data.hit_count) }))}</dd>
      <dt>${esc(gettext("First seen"))}</dt><dd>${when(data.first_seen)}</dd>
      <dt>${esc(gettext("Last seen"))}</dt><dd>${when(data.last_seen)}</dd>
      ${data.assignee ? `<dt>${esc(gettext("Assignee"))}</dt><dd>${esc(data.assignee)}</dd>` : ""}
      ${data.danger_radius_m ? `<dt>${esc(gettext("Perimeter"))}</dt><dd>${esc(fmt(gettext("%(metres)s m"), { metres: number(data.danger_radius_m) }))}</dd>` : ""}</dl>
      ${data.recommended_actions ? `<div class="actions-text"><strong>${esc(gettext("Recommended actions"))}</strong>\n${esc(data.recommended_actions)}</div>` : ""}
      ${data.detail ? `<p>${esc(data.detail)}</p>` : ""}
      <div class="buttons">${buttons.join("")}</div>
      ${error ? `<p class="error" role="alert">${esc(error)}</p>` : ""}</div>`;
  }

  // An open popup is redrawn at each update of its event (an ongoing one: every frame; a new icon redraws it
  // too); a clip playing in it is taken out first and put into the new content, so it plays on instead of
  // starting over. (A video taken out of the page pauses: it is started again if it was playing.)
  function clipTake(entry) {
    const element = entry.marker.isPopupOpen() && entry.marker.getPopup().getElement();
    const video = element && element.querySelector(".event-clip-slot video");
    return video ? { video, playing: !video.paused } : null;
  }

  function clipPut(entry, taken) {
    if (!taken || !entry.marker.isPopupOpen()) return;
    const slot = entry.marker.getPopup().getElement().querySelector(".event-clip-slot");
    if (!slot) return;
    slot.replaceChildren(taken.video);
    if (taken.playing) taken.video.play().catch(() => {});
  }

  function popupRefresh(entry, html) {
    const taken = clipTake(entry);
    entry.marker.setPopupContent(html);
    clipPut(entry, taken);
  }

  function flashing(entry) {
    return entry.flashUntil && entry.flashUntil > Date.now();
  }

  function drawEvent(entry, batch = null) {
    const data = entry.data;
    const show = visible(data) || data.id === linkedId; // a linked event shows whatever the filters say
    const latlng = [data.latitude, data.longitude];
    if (!entry.marker) {
      entry.marker = L.marker(latlng, { icon: eventIcon(data, flashing(entry)), keyboard: true, severity: data.severity, status: data.status });
      entry.marker.bindPopup(() => eventPopup(events.get(data.id).data), { ...POPUP_OPTIONS, maxWidth: 320 });
    } else {
      const regroup = entry.marker.options.severity !== data.severity || entry.marker.options.status !== data.status;
      Object.assign(entry.marker.options, { severity: data.severity, status: data.status });
      const taken = clipTake(entry);  // before setIcon, which redraws an open popup
      entry.marker.setLatLng(latlng).setIcon(eventIcon(data, flashing(entry)));
      if (entry.marker.isPopupOpen()) entry.marker.setPopupContent(eventPopup(data));
      clipPut(entry, taken);
      // Its cluster's colour is its worst event's: recomputed when this one changed severity or status.
      if (regroup && eventLayer.hasLayer(entry.marker)) eventLayer.refreshClusters(entry.marker);
    }
    if (entry.perimeter) perimeterLayer.removeLayer(entry.perimeter);
    entry.perimeter = null;
    if (data.danger_radius_m > 0 && OPEN.includes(data.status)) {
      entry.perimeter = L.circle(latlng, {
        radius: data.danger_radius_m,
        className: `perimeter sev-${data.severity} perimeter-${data.id}`,
        interactive: false,
      });
    }
    if (show) {
      if (!eventLayer.hasLayer(entry.marker)) {
        if (batch) batch.push(entry.marker);
        else eventLayer.addLayer(entry.marker);
      }
      if (entry.perimeter) entry.perimeter.addTo(perimeterLayer);
    } else if (eventLayer.hasLayer(entry.marker)) {
      eventLayer.removeLayer(entry.marker);
    }
  }

  function upsertEvent(data, { live = false, batch = null } = {}) {
    const known = events.get(data.id);
    const changed = Date.parse(data.updated_at);
    if (known && Date.parse(known.data.updated_at) > changed) return; // an older copy: keep the newer
    if (!newestChange || changed > Date.parse(newestChange)) newestChange = data.updated_at;
    const entry = known || { data };
    const becameCritical = data.severity === "critical" && data.status === "new" && (!known || known.data.severity !== "critical");
    const isNew = data.status === "new" && !known;
    entry.data = data;
    if (live && becameCritical) {
      entry.flashUntil = Date.now() + 10000;
      setTimeout(() => { if (events.has(data.id)) { drawEvent(events.get(data.id)); renderFeed(); } }, 10100);
      if (document.hidden) desktopNotify(data);
    }
    if (live && soundToggle.checked && (isNew || becameCritical)) beep(data.severity);
    events.set(data.id, entry);
    drawEvent(entry, batch);
  }

  async function loadEvents(changedSince) {
    const params = new URLSearchParams({ format: "geojson", page_size: "500" });
    if (changedSince) {
      params.set("changed_since", new Date(new Date(changedSince).getTime() - CATCH_UP_MARGIN_MS).toISOString());
    } else {
      params.set("seen_since", new Date(Date.now() - filters().windowS * 1000).toISOString());
    }
    const features = await getAllFeatures(`${config.api.events}?${params}`);
    const batch = [];
    features.map(featureData).forEach((data) => upsertEvent(data, { batch }));
    eventLayer.addLayers(batch);
    renderFeed();
  }

  // Every camera (the server's box around them, the view set at start) and every event loaded.
  function fitToContent() {
    const points = [...events.values()].map((e) => [e.data.latitude, e.data.longitude]);
    if (config.camera_extent) points.push(...config.camera_extent);
    if (points.length) map.fitBounds(points, { padding: [40, 40], maxZoom: 16 });
    fitted = true;
  }

  function redrawAll() {
    const batch = [];
    events.forEach((entry) => drawEvent(entry, batch));
    eventLayer.addLayers(batch);
    renderFeed();
  }

  // --- Feed -----------------------------------------------------------------------------
  const feed = document.getElementById("feed");
  const feedCount = document.getElementById("feed-count");

  // As alarm managers order them: what nobody has taken yet, then what is being worked, then what is
  // closed; within each the most severe first, then the latest seen.
  const STATUS_RANK = { new: 0, acknowledged: 1, dispatched: 1 };
  const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
  const rank = (d) => [STATUS_RANK[d.status] ?? 2, SEVERITY_RANK[d.severity] ?? 5];
  function feedOrder(a, b) {
    const [ra, rb] = [rank(a.data), rank(b.data)];
    if (ra[0] !== rb[0]) return ra[0] - rb[0];
    if (ra[1] !== rb[1]) return ra[1] - rb[1];
    return a.data.last_seen < b.data.last_seen ? 1 : a.data.last_seen > b.data.last_seen ? -1 : b.data.id - a.data.id;
  }

  function renderFeed() {
    const f = filters();
    const shown = [...events.values()].filter((e) => visible(e.data, f)).sort(feedOrder);
    feedCount.textContent = number(shown.length);
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#feed li");
    feed.replaceChildren(...shown.slice(0, FEED_LIMIT).map((entry) => {
      const d = entry.data;
      const li = document.createElement("li");
      li.className = `sev-${d.severity}${flashing(entry) ? " flash" : ""}`;
      li.dataset.eventId = d.id;
      li.tabIndex = 0;
      li.innerHTML = `<span class="title">${esc(d.title)}</span>
        <span class="meta">${esc(d.camera_name)} · ${ago(d.last_seen)} · ${esc(fmt(gettext("peak %(n)s"), { n: number(d.peak_count) }))}</span>
        <span class="status status-${esc(d.status)}">${esc(statusLabel(d.status))}</span>`;
      return li;
    }));
    // The keyboard's place in the list survives a redraw (a new event, the 30 s refresh).
    if (focused) { const again = feed.querySelector(`li[data-event-id="${focused.dataset.eventId}"]`); if (again) again.focus(); }
  }

  function openEvent(id) {
    const entry = events.get(Number(id));
    if (!entry) return;
    // No animation: the popup pans itself into view only from where the map really is. At that zoom
    // markers are out of their clusters; zoomToShowLayer spiderfies one still clustered (at max zoom).
    map.setView([entry.data.latitude, entry.data.longitude], Math.max(map.getZoom(), CLUSTER_UNTIL_ZOOM), { animate: false });
    if (eventLayer.hasLayer(entry.marker)) eventLayer.zoomToShowLayer(entry.marker, () => entry.marker.openPopup());
    else entry.marker.openPopup();
  }

  // A link from a notification (/map/#event-42) opens that event; fetched when older than the window.
  async function focusLinkedEvent() {
    const match = location.hash.match(/^#event-(\d+)$/);
    if (!match) return;
    const id = Number(match[1]);
    linkedId = id;
    if (!events.has(id)) {
      try { upsertEvent(featureData(await getJSON(`${config.api.events}${id}/?format=geojson`))); } catch (error) {
        if (error instanceof SessionExpired) throw error;
        return; // deleted, or not visible to this user: the map shows what it has
      }
      renderFeed();
    } else {
      drawEvent(events.get(id)); // loaded before it was linked: a closed one was left off the map
    }
    openEvent(id);
  }
  window.addEventListener("hashchange", () => focusLinkedEvent().catch(handleLoadError));

  feed.addEventListener("click", (e) => { const li = e.target.closest("li"); if (li) openEvent(li.dataset.eventId); });
  feed.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { const li = e.target.closest("li"); if (li) openEvent(li.dataset.eventId); }
  });
  setInterval(renderFeed, 30000);

  // --- Workflow from the popup ----------------------------------------------------------
  // Capture phase: Leaflet stops clicks inside popups from bubbling.
  document.addEventListener("click", async (e) => {
    const button = e.target.closest("button[data-action]");
    if (!button) return;
    button.disabled = true;
    const id = Number(button.dataset.eventId);
    const response = await fetch(`${config.api.events}${id}/${button.dataset.action}/`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: "{}",
    }).catch(() => null); // no answer at all (network down, server restarting): said below, like a refusal
    const body = response ? await response.json().catch(() => ({})) : {};
    const entry = events.get(id);
    if (response && response.ok) {
      upsertEvent(body);
      renderFeed();
      if (entry && entry.marker.isPopupOpen()) popupRefresh(entry, eventPopup(events.get(id).data));
    } else {
      button.disabled = false;
      if (entry) popupRefresh(entry, eventPopup(entry.data, !response ? gettext("The action could not be sent: Vigil did not answer. Try again.") : body.detail || fmt(gettext("The action failed (HTTP %(status)s)."), { status: response.status })));
    }
  }, true);

  document.addEventListener("click", (e) => {
    const play = e.target.closest("button.event-clip-play");
    if (!play) return;
    // The button is replaced below, so the click would reach the map from outside any popup and close it.
    e.stopPropagation();
    const id = Number(play.dataset.clipEvent);
    const slot = play.closest(".event-clip-slot");
    const video = document.createElement("video");
    Object.assign(video, { className: "event-clip", controls: true, muted: true, playsInline: true, preload: "auto" });
    video.src = config.clip_url.replace("/0/", `/${id}/`);
    video.addEventListener("error", () => {
      slot.textContent = gettext("No clip for this event yet: it is cut once the event has been quiet for a few seconds, on cameras that record.");
    }, { once: true });
    slot.replaceChildren(video);
    video.play().catch(() => {});
  }, true);

  // --- Keyboard -------------------------------------------------------------------------
  // An operator's hands stay on the keyboard: j/k (or the arrows) move through the feed and open the
  // event, a acknowledges it, Escape closes the popup, ? lists the keys. Not while typing in a field.
  const shortcuts = document.getElementById("shortcuts");
  function feedMove(step) {
    const rows = [...feed.querySelectorAll("li")];
    if (!rows.length) return;
    const at = rows.indexOf(document.activeElement);
    const next = rows[Math.min(rows.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
    next.focus();
    openEvent(next.dataset.eventId);
  }
  function openEventId() {
    const row = document.activeElement && document.activeElement.closest && document.activeElement.closest("#feed li");
    if (row) return Number(row.dataset.eventId);
    const open = [...events.values()].find((entry) => entry.marker && entry.marker.isPopupOpen());
    return open ? open.data.id : null;
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest("input, select, textarea, [contenteditable]")) return;
    if (e.key === "j" || e.key === "ArrowDown") { e.preventDefault(); feedMove(1); }
    else if (e.key === "k" || e.key === "ArrowUp") { e.preventDefault(); feedMove(-1); }
    else if (e.key === "a") {
      const id = openEventId();
      if (id === null) return;
      openEvent(id);
      const button = document.querySelector(`.event-popup[data-event-id="${id}"] button[data-action="acknowledge"]`);
      if (button && !button.disabled) button.click();
    } else if (e.key === "Escape") { map.closePopup(); if (shortcuts) shortcuts.hidden = true; }
    else if (e.key === "?" && shortcuts) { shortcuts.hidden = !shortcuts.hidden; }
  });
  if (shortcuts) shortcuts.querySelector("button").addEventListener("click", () => { shortcuts.hidden = true; });

  // --- Desktop notifications ------------------------------------------------------------
  // A critical event while the map's tab is hidden: the system's own notification (asked for once, by
  // the box below the filters); clicking it brings the tab back on the event.
  const desktopToggle = document.getElementById("desktop-toggle");
  if (desktopToggle) {
    const allowed = () => "Notification" in window && Notification.permission === "granted";
    desktopToggle.checked = allowed() && localStorage.getItem("vigil.desktop") === "on";
    desktopToggle.addEventListener("change", async () => {
      if (desktopToggle.checked && "Notification" in window && Notification.permission !== "granted") {
        desktopToggle.checked = (await Notification.requestPermission()) === "granted";
      }
      localStorage.setItem("vigil.desktop", desktopToggle.checked ? "on" : "off");
    });
  }
  function desktopNotify(data) {
    if (!desktopToggle || !desktopToggle.checked || !("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const note = new Notification(fmt(gettext("Critical: %(title)s"), { title: data.title }), { body: `${data.camera_name} · ${labelName(data.label)}`, tag: `vigil-event-${data.id}` });
      note.onclick = () => { window.focus(); openEvent(data.id); note.close(); };
    } catch (error) { /* a browser without page notifications: the flash and the sound remain */ }
  }

  // --- Sound ----------------------------------------------------------------------------
  let audio = null;
  // A distinct sound per severity, so an operator hears how bad it is without looking: critical three
  // high tones, high two, medium one low tone; low and info events are silent.
  const TONES = { critical: [880, 3], high: [660, 2], medium: [520, 1] };
  function beep(severity = "critical") {
    const tone = TONES[severity];
    if (!tone) return;
    try {
      audio = audio || new AudioContext();
      Array.from({ length: tone[1] }, (_, i) => i * 0.35).forEach((offset) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.frequency.value = tone[0];
        gain.gain.setValueAtTime(0.2, audio.currentTime + offset);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + offset + 0.3);
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + offset);
        osc.stop(audio.currentTime + offset + 0.3);
      });
    } catch (error) { /* no audio device: the flash is still there */ }
  }

  // --- Live updates ---------------------------------------------------------------------
  const indicator = document.getElementById("connection");
  let attempt = 0;
  let socket = null;

  function setConnection(state, text) {
    indicator.className = `connection ${state}`;
    indicator.innerHTML = text;
    document.body.dataset.connection = state;
  }

  function connect() {
    setConnection(attempt ? "reconnecting" : "connecting", esc(attempt ? gettext("Reconnecting…") : gettext("Connecting…")));
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${config.websocket}`);
    socket.addEventListener("open", async () => {
      attempt = 0;
      try {
        // Subscribed first, then caught up: nothing committed in between is lost. Cameras seen before
        // the socket dropped may have changed since: their areas are loaded again.
        loadedBoxes.length = 0;
        await Promise.all([loadCameras(), loadEvents(newestChange)]);
        if (!fitted) { fitToContent(); await loadCameras(); await focusLinkedEvent(); }
        if (attempt < 0) return; // closed for good (4401/4403) while catching up
        setConnection("live", esc(gettext("Live")));
      } catch (error) {
        handleLoadError(error);
      }
    });
    socket.addEventListener("message", (message) => {
      const { type, data } = JSON.parse(message.data);
      if (type === "camera.status") upsertCamera(data);
      else if (type.startsWith("event.")) { upsertEvent(data, { live: true }); renderFeed(); }
    });
    socket.addEventListener("close", (close) => {
      // Closed for good by the server: logged out (4401) or no longer allowed (4403); do not reconnect.
      if (close.code === 4401) { handleLoadError(new SessionExpired("4401")); return; }
      if (close.code === 4403) {
        attempt = -1;
        setConnection("expired", `${esc(gettext("Live updates stopped: your account may no longer view events"))} — <a href="">${esc(gettext("reload"))}</a>`);
        return;
      }
      scheduleReconnect();
    });
  }

  function handleLoadError(error) {
    if (error instanceof SessionExpired) {
      attempt = -1; // before the close event, which would otherwise schedule a reconnect
      if (socket) socket.close();
      setConnection("expired", `${esc(gettext("Session expired"))} — <a href="${esc(config.login_url)}?next=${encodeURIComponent(location.pathname)}">${esc(gettext("log in again"))}</a>`);
      return;
    }
    // The API failed (server restarting?): start over through the reconnect path, with backoff.
    setConnection("offline", esc(gettext("Offline — retrying")));
    if (socket) socket.close();
  }

  async function scheduleReconnect() {
    if (attempt < 0) return; // the session is gone; reconnecting would only be refused
    attempt += 1;
    const delay = Math.min(MAX_BACKOFF_S, 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
    const until = Date.now() + delay * 1000;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0 && attempt > 0) { setConnection("reconnecting", esc(fmt(gettext("Offline — retrying in %(seconds)s s"), { seconds: number(left) }))); setTimeout(tick, 1000); }
    };
    tick();
    setTimeout(async () => {
      // A refused socket looks like any other failure; the API says whether the login is still valid.
      try { await getJSON(`${config.api.events}?page_size=1`); } catch (error) {
        if (error instanceof SessionExpired) { handleLoadError(error); return; }
      }
      connect();
    }, delay * 1000);
  }

  // A message lost on the way (Redis restarted, a worker's outbox full) must not stay missing
  // while the socket itself is fine: catch up from the API every so often as well.
  setInterval(async () => {
    if (document.body.dataset.connection !== "live") return;
    try { await loadEvents(newestChange); } catch (error) { handleLoadError(error); }
  }, config.resync_seconds * 1000);

  // For tests and the browser console.
  window.vigilMap = { map, cameras, events, cameraLayer, eventLayer, loadedBoxes, state: () => indicator.className };
  connect();
})();
