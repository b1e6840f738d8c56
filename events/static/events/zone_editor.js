/* Zone and line editor: clicks on the camera picture become [x, y] points in 0..1, written to the textarea.
   In line mode (counting lines) two points make the line, and an arrow shows its "in" side. */
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";

  function parse(text) {
    try {
      const value = JSON.parse(text || "[]");
      return Array.isArray(value) ? value.filter((p) => Array.isArray(p) && p.length === 2) : [];
    } catch (e) {
      return null; // being typed: leave the drawing as it is
    }
  }

  function setUp(editor) {
    const textarea = editor.querySelector("textarea");
    const stage = editor.querySelector("[data-stage]");
    const frame = editor.querySelector("[data-frame]");
    const select = editor.querySelector("[data-camera]");
    const polygon = editor.querySelector("[data-polygon]");
    const dots = editor.querySelector("[data-points]");
    const count = editor.querySelector("[data-count]");
    const arrow = editor.querySelector("[data-arrow]");
    const lineMode = editor.dataset.mode === "line";
    const inSide = document.getElementById("id_in_side");
    let points = parse(textarea.value) || [];

    function drawArrow() {
      if (!lineMode || points.length !== 2) { arrow.setAttribute("points", ""); return; }
      const [[ax, ay], [bx, by]] = points;
      const length = Math.hypot(bx - ax, by - ay) || 1;
      // Right of start -> end on the picture (y down) is (-dy, dx); left is the opposite.
      const sign = inSide && inSide.value === "left" ? -1 : 1;
      const nx = sign * -(by - ay) / length, ny = sign * (bx - ax) / length;
      const mx = (ax + bx) / 2, my = (ay + by) / 2, size = 0.06;
      const tip = [mx + nx * size, my + ny * size];
      const back = [mx + nx * size * 0.6, my + ny * size * 0.6];
      const wing = [-ny * size * 0.3, nx * size * 0.3];
      arrow.setAttribute("points", [[mx, my], tip, [back[0] + wing[0], back[1] + wing[1]], tip,
        [back[0] - wing[0], back[1] - wing[1]]].map((p) => p.join(",")).join(" "));
    }

    function draw() {
      polygon.setAttribute("points", points.map((p) => p.join(",")).join(" "));
      drawArrow();
      dots.replaceChildren(...points.map(([x, y]) => {
        const dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("cx", x); dot.setAttribute("cy", y); dot.setAttribute("r", 0.007);
        return dot;
      }));
      if (lineMode) {
        count.textContent = points.length === 2 ? gettext("Start and end set.") : gettext("Click the line's start, then its end.");
      } else {
        count.textContent = points.length === 0 ? (editor.dataset.empty || gettext("No zone: the whole picture counts."))
          : points.length < 3 ? interpolate(gettext("%(n)s point(s): a zone needs at least 3."), { n: points.length }, true)
            : interpolate(gettext("%(n)s corners."), { n: points.length }, true);
      }
    }

    function write() {
      textarea.value = points.length ? JSON.stringify(points) : "[]";
      textarea.dispatchEvent(new Event("change"));
      draw();
    }

    stage.addEventListener("click", (e) => {
      const box = (frame || stage).getBoundingClientRect();
      const x = (e.clientX - box.left) / box.width, y = (e.clientY - box.top) / box.height;
      if (x < 0 || x > 1 || y < 0 || y > 1) return;
      if (lineMode && points.length >= 2) points = [];
      points.push([Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000]);
      write();
    });
    editor.querySelector("[data-undo]").addEventListener("click", () => { points.pop(); write(); });
    editor.querySelector("[data-clear]").addEventListener("click", () => { points = []; write(); });
    textarea.addEventListener("input", () => {
      const typed = parse(textarea.value);
      if (typed) { points = typed; draw(); }
    });
    if (inSide) inSide.addEventListener("change", drawArrow);
    const note = editor.querySelector("[data-camera-note]");
    const show = () => {
      if (!select || !select.value) { if (frame) frame.removeAttribute("src"); return; }
      frame.src = editor.dataset.frameUrl.replace("__slug__", select.value) + "?t=" + Date.now();
    };
    if (select) select.addEventListener("change", show);
    // A line or zone belongs to the camera chosen in the form: draw over that camera's picture, never
    // over another's (picking another camera must change the picture, or say it has none yet).
    const owner = editor.dataset.follows && document.getElementById(editor.dataset.follows);
    if (owner) {
      const follow = () => {
        const option = select && [...select.options].find((o) => o.dataset.pk === owner.value);
        if (select) { select.value = option ? option.value : ""; select.closest("label").hidden = true; }
        note.hidden = Boolean(option);
        note.textContent = !owner.value
          ? (lineMode ? gettext("Choose the camera above: the line is drawn over its latest frame.")
            : gettext("Choose the camera above: the zone is drawn over its latest frame."))
          : option ? "" : gettext("This camera has no frame yet: the picture comes once it has been captured (or type the points).");
        show();
      };
      owner.addEventListener("change", follow);
      if (window.django && window.django.jQuery) window.django.jQuery(owner).on("change", follow); // select2
      follow();
    } else {
      show();
    }
    draw();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-zone-editor]").forEach(setUp);
  });
})();
