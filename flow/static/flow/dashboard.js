// The flow dashboard (a static file: the Content-Security-Policy runs no inline script).
// Live counters: the same WebSocket as the map; each flow.counts message updates one camera's card.
(function () {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  function connect() {
    const socket = new WebSocket(`${scheme}://${location.host}/ws/events/`);
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type !== "flow.counts") return;
      const card = document.querySelector(`.counter[data-camera="${data.data.camera.id}"]`);
      if (!card || !data.data.person) return;
      for (const field of ["current", "entry", "exit"]) {
        // Numbers as the page's language writes them (<html lang>).
        card.querySelector(`[data-field="${field}"]`).textContent = Number(data.data.person[field]).toLocaleString(document.documentElement.lang || "en");
      }
    };
    socket.onclose = (close) => {
      // 4401: logged out (the reload lands on the login page); 4403: no longer allowed. Either way, stop.
      if (close.code === 4401) location.reload();
      else if (close.code !== 4403) setTimeout(connect, 3000);
    };
  }
  connect();
  setTimeout(() => location.reload(), 60000);  // the charts: redrawn by the server each minute
})();
