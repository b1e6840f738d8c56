/* The part of a link after "#" never reaches the server: a notification's /map/#event-42 arrives here
 * as ?next=/map/ with the fragment still in the address bar. Carry it into "next", so that logging in
 * lands on the event, not on the bare map. */
(function () {
  "use strict";
  const next = document.querySelector("form input[name=next]");
  if (next && location.hash && !next.value.includes("#")) {
    next.value = (next.value || "/") + location.hash;
  }
})();
