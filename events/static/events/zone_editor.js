/* Rule zone editor: clicks on the camera picture become [x, y] corners in 0..1, written to the textarea. */
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
    let points = parse(textarea.value) || [];

    function draw() {
      polygon.setAttribute("points", points.map((p) => p.join(",")).join(" "));
      dots.replaceChildren(...points.map(([x, y]) => {
        const dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("cx", x); dot.setAttribute("cy", y); dot.setAttribute("r", 0.007);
        return dot;
      }));
      count.textContent = points.length === 0 ? "No zone: the whole picture counts."
        : points.length < 3 ? `${points.length} point(s): a zone needs at least 3.` : `${points.length} corners.`;
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
      points.push([Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000]);
      write();
    });
    editor.querySelector("[data-undo]").addEventListener("click", () => { points.pop(); write(); });
    editor.querySelector("[data-clear]").addEventListener("click", () => { points = []; write(); });
    textarea.addEventListener("input", () => {
      const typed = parse(textarea.value);
      if (typed) { points = typed; draw(); }
    });
    if (select) {
      const show = () => { frame.src = editor.dataset.frameUrl.replace("__slug__", select.value) + "?t=" + Date.now(); };
      select.addEventListener("change", show);
      show();
    }
    draw();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-zone-editor]").forEach(setUp);
  });
})();
