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

  function live() {
    const video = document.querySelector("video.live-video");
    if (!video) return;
    const state = document.querySelector(".live-state");
    const say = (text) => { if (state) state.textContent = text; };
    window.vigilLive = attach(video, video.dataset.playlist, LIVE, say, true);
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
