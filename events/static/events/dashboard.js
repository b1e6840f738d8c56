/* The operations dashboard keeps itself current: every 30 s it fetches itself and swaps the totals and
 * the table (scroll position and the rest of the page stay), saying when it last did. */
(function () {
  "use strict";
  const REFRESH_MS = 30000;
  const stamp = document.getElementById("dash-updated");
  async function refresh() {
    try {
      const response = await fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (!response.ok || response.redirected) throw new Error(`HTTP ${response.status}`);
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const selector of [".dash-totals", "#dashboard"]) {
        const now = fresh.querySelector(selector), old = document.querySelector(selector);
        if (now && old) old.replaceWith(now);
      }
      const lang = document.documentElement.lang || "en";
      stamp.textContent = interpolate(gettext("Updated %(time)s; refreshes every %(seconds)s s."),
        { time: new Date().toLocaleTimeString(lang), seconds: REFRESH_MS / 1000 }, true);
    } catch (error) {
      stamp.textContent = interpolate(gettext("Could not refresh (%(error)s); trying again in %(seconds)s s."),
        { error: error.message, seconds: REFRESH_MS / 1000 }, true);
    }
  }
  setInterval(refresh, REFRESH_MS);
  window.vigilDashboardRefresh = refresh; // for a test, or a console
})();
