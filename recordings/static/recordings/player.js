// The recordings' players: a camera's live view and its timeline, both HLS of the recorder's segments.
// hls.js where the browser has Media Source Extensions, the browser's own HLS otherwise (iOS Safari).
(function () {
  "use strict";

  // Low latency from whole segments: start one segment from the live edge, catch up (up to 1.5× speed) when
  // more than three behind, and reload the playlist as soon as a segment is due.
  const LIVE = {
    liveSyncDurationCount: 1,
    liveMaxLatencyDurationCount: 3,
    maxLiveSyncPlaybackRate: 1.5,
    backBufferLength: 30,
    lowLatencyMode: false,
  };
  const RETRY_MS = 2000;

  function attach(video, url, config, say, retry) {
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls(config);
      hls.on(window.Hls.Events.MANIFEST_PARSED, () => { say(""); video.play().catch(() => {}); });
      hls.on(window.Hls.Events.ERROR, (_, data) => {
        if (!data.fatal) return;
        if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); return; }
        if (!retry) return;
        // The live playlist is a 404 while the recorder has finished no segment lately: ask again.
        say(video.dataset.waiting || "");
        window.setTimeout(() => hls.loadSource(url), RETRY_MS);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      return hls;
    }
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
      video.addEventListener("loadedmetadata", () => video.play().catch(() => {}), { once: true });
      return null;
    }
    say(video.dataset.unsupported || "");
    return null;
  }

  // The overlay: the detections of the moment the video shows, asked for every second. An entry is drawn
  // from its capture time (less the lead: the stream worker stamps frames a little after the recorder) until
  // the next one, at most its camera's hold after it: when the video's time is unknown or no entry is that
  // close, nothing is drawn (a box where the person was is worse than none).
  const POLL_MS = 1000;
  const KEEP_MS = 15000;  // entries kept behind the video's time (it never goes back further live)
  const SHOW_KEY = "vigil.live.showDetections";
  const COLOURS = ["#ff3b30", "#34c759", "#0a84ff", "#ffcc00", "#ff9f0a", "#bf5af2", "#64d2ff"];

  function remembered(key) {
    try { return window.localStorage.getItem(key); } catch (_) { return null; }  // storage may be off
  }

  function remember(key, value) {
    try { window.localStorage.setItem(key, value); } catch (_) { /* not remembered, still works */ }
  }

  function colour(label) {
    let hash = 0;
    for (const c of label) hash = (hash * 31 + c.charCodeAt(0)) | 0;
    return COLOURS[Math.abs(hash) % COLOURS.length];
  }

  // The wall-clock time (ms) of the frame on screen, from the playlist's EXT-X-PROGRAM-DATE-TIME; null if unknown.
  function playingMs(video, hls) {
    if (hls) return hls.playingDate ? hls.playingDate.getTime() : null;
    const start = typeof video.getStartDate === "function" ? video.getStartDate().getTime() : NaN;
    return Number.isFinite(start) ? start + video.currentTime * 1000 : null;  // the browser's own HLS (Safari)
  }

  function overlay(video, hls) {
    const canvas = document.querySelector("canvas.live-overlay");
    const toggle = document.querySelector("input.live-show-detections");
    const url = video.dataset.detections;
    if (!canvas || !toggle || !url) return;
    const context = canvas.getContext("2d");
    let entries = [];  // oldest first
    let holdMs = 1000;
    let leadMs = 0;
    let since = null;
    let drawn = "";

    const stored = remembered(SHOW_KEY);
    if (stored !== null) toggle.checked = stored === "1";
    toggle.addEventListener("change", () => { remember(SHOW_KEY, toggle.checked ? "1" : "0"); });

    async function poll() {
      if (toggle.checked && !document.hidden) {
        try {
          const response = await fetch(since === null ? url : `${url}?since=${since}`,
            { credentials: "same-origin", cache: "no-store" });
          if (response.ok) {
            const data = await response.json();
            holdMs = data.hold_ms;
            leadMs = data.lead_ms;
            for (const entry of data.entries) {
              if (since === null || entry.t > since) { entries.push(entry); since = entry.t; }
            }
          }
        } catch (_) { /* the network: asked again in a second, and nothing drawn meanwhile is stale */ }
        // Trimmed by the video's time, never the browser's clock (it may be minutes off the server's).
        const at = playingMs(video, hls);
        if (at !== null && entries.length && entries[0].t < at - KEEP_MS) {
          entries = entries.filter((entry) => entry.t >= at - KEEP_MS);
        }
      }
      window.setTimeout(poll, POLL_MS);
    }

    // The newest entry stamped at or before `playing` (plus the lead), if no more than the hold before it.
    function entryAt(playing) {
      if (playing === null) return null;
      const at = playing + leadMs;
      for (let i = entries.length - 1; i >= 0; i--) {
        if (entries[i].t <= at) return at - entries[i].t <= holdMs ? entries[i] : null;
      }
      return null;
    }

    function draw() {
      const entry = toggle.checked ? entryAt(playingMs(video, hls)) : null;
      const ratio = window.devicePixelRatio || 1;
      const width = Math.round(canvas.clientWidth * ratio);
      const height = Math.round(canvas.clientHeight * ratio);
      const key = `${entry ? entry.t : ""}|${width}x${height}|${video.videoWidth}x${video.videoHeight}`;
      if (key !== drawn) {
        drawn = key;
        if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
        context.clearRect(0, 0, canvas.width, canvas.height);
        canvas.dataset.shown = entry && video.videoWidth ? String(entry.t) : "";
        canvas.dataset.boxes = entry && video.videoWidth ? String(entry.b.length) : "0";
        if (entry && video.videoWidth) boxes(entry.b, width, height, ratio);
      }
      window.requestAnimationFrame(draw);
    }

    // The video's picture inside its element (object-fit: contain): scaled to fit, centred, letterboxed.
    function boxes(found, width, height, ratio) {
      const scale = Math.min(width / video.videoWidth, height / video.videoHeight);
      const w = video.videoWidth * scale, h = video.videoHeight * scale;
      const left = (width - w) / 2, top = (height - h) / 2;
      context.lineWidth = 2 * ratio;
      context.font = `${12 * ratio}px sans-serif`;
      context.textBaseline = "bottom";
      for (const [x1, y1, x2, y2, label, confidence] of found) {
        const x = left + x1 * w, y = top + y1 * h;
        context.strokeStyle = context.fillStyle = colour(label);
        context.strokeRect(x, y, (x2 - x1) * w, (y2 - y1) * h);
        const text = `${label} ${Math.round(confidence * 100)}%`;
        const textWidth = context.measureText(text).width + 6 * ratio;
        const base = Math.max(y, top + 16 * ratio);  // above the box, or inside it at the picture's top
        context.fillRect(x - ratio, base - 16 * ratio, textWidth, 16 * ratio);
        context.fillStyle = "#000";
        context.fillText(text, x + 2 * ratio, base - 2 * ratio);
      }
    }

    poll();
    window.requestAnimationFrame(draw);
  }

  function live() {
    const video = document.querySelector("video.live-video");
    if (!video) return;
    const state = document.querySelector(".live-state");
    const say = (text) => { if (state) state.textContent = text; };
    window.vigilLive = attach(video, video.dataset.playlist, LIVE, say, true);
    overlay(video, window.vigilLive);
  }

  function timeline() {
    const line = document.querySelector(".timeline");
    const video = document.querySelector("video.timeline-video");
    if (!line || !video) return;
    const state = document.querySelector(".timeline-state");
    const since = Date.parse(line.dataset.since);
    const until = Date.parse(line.dataset.until);
    let player = null;

    function play(at) {
      if (player) player.destroy();
      video.hidden = false;
      const url = `${line.dataset.playlist}?at=${encodeURIComponent(new Date(at).toISOString())}`;
      player = attach(video, url, {}, (text) => { if (state) state.textContent = text; }, false);
      if (player) {
        player.on(window.Hls.Events.ERROR, (_, data) => {
          if (data.fatal && data.type === window.Hls.ErrorTypes.NETWORK_ERROR) {
            player.destroy();
            player = null;
            state.textContent = line.dataset.nothing;
          }
        });
      }
    }

    // An event's clip (a snapshot camera's timelapse has no segments to make a playlist of): the MP4 itself.
    function clip(url) {
      if (player) { player.destroy(); player = null; }
      video.hidden = false;
      if (state) state.textContent = "";
      video.src = url;
      video.play().catch(() => {});
    }

    line.addEventListener("click", (event) => {
      const mark = event.target.closest(".timeline-event");
      if (mark && mark.dataset.clip) { clip(mark.dataset.clip); return; }
      if (!mark && line.dataset.stills) { if (state) state.textContent = line.dataset.stills; return; }
      if (mark) { play(Date.parse(mark.dataset.at) - Number(mark.dataset.pre || 0) * 1000); return; }
      const track = line.querySelector(".timeline-recordings").getBoundingClientRect();
      const share = Math.min(1, Math.max(0, (event.clientX - track.left) / track.width));
      play(since + share * (until - since));
    });
  }

  document.addEventListener("DOMContentLoaded", () => { live(); timeline(); });
})();
