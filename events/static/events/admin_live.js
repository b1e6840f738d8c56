/* Live event list: new or changed events raise a banner; a click reloads the same URL, filters and all. */
(function () {
  "use strict";
  const banner = document.getElementById("live-banner");
  if (!banner || !window.WebSocket) return;
  const button = banner.querySelector("[data-refresh]");
  let opened = 0, changed = 0, delay = 1000;

  function show() {
    const parts = [];
    if (opened) parts.push(interpolate(ngettext("%(n)s new event", "%(n)s new events", opened), { n: opened }, true));
    if (changed) parts.push(interpolate(ngettext("%(n)s change", "%(n)s changes", changed), { n: changed }, true));
    button.textContent = interpolate(gettext("%(changes)s — click to refresh the list"), { changes: parts.join(", ") }, true);
    banner.hidden = false;
    document.title = `(${opened + changed}) ` + document.title.replace(/^\(\d+\) /, "");
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${banner.dataset.websocket}`);
    socket.onopen = () => { delay = 1000; banner.dataset.connection = "live"; };
    socket.onmessage = (message) => {
      const kind = JSON.parse(message.data).type;
      if (kind === "event.opened") opened += 1;
      else if (kind === "event.status") changed += 1; // not "event.updated": that is every frame
      else return;
      show();
    };
    socket.onclose = (close) => {
      banner.dataset.connection = "closed";
      if (close.code === 4401 || close.code === 4403) { ended(close.code); return; } // reconnecting would be refused
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  // The server closed the socket for good: logged out (4401) or no longer allowed (4403). The click
  // reloads the page, which takes a logged-out user to the login page.
  function ended(code) {
    banner.dataset.connection = code === 4401 ? "logged-out" : "forbidden";
    button.textContent = code === 4401
      ? gettext("Your session has ended — click to log in again")
      : gettext("Live updates stopped: your account may no longer view events — click to reload");
    banner.hidden = false;
  }

  button.addEventListener("click", () => location.reload());
  connect();
})();
