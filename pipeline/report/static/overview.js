/* The coordinator overview's one script: find agencies by name and by the status of their
 * readiness plan, and open the collapsed agencies to print. The page reads whole without it.
 *
 * It only reads attributes and sets ``hidden``, ``open`` and text: nothing is parsed as HTML,
 * and no event handler is written into the markup (the page's Content-Security-Policy forbids
 * inline script). Plain ES2017, no library, nothing fetched.
 */
(function () {
  "use strict";

  var search = document.getElementById("agency-search");
  var plan = document.getElementById("agency-plan");
  var reset = document.getElementById("agency-reset");
  var status = document.getElementById("agency-status");
  var rest = document.getElementById("agencies-rest");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.agency"));

  function apply() {
    var query = search ? search.value.trim().toLowerCase() : "";
    var wanted = plan ? plan.value : "";
    var shown = 0;
    var shownInRest = 0;
    rows.forEach(function (row) {
      var match = (!query || (row.getAttribute("data-name") || "").indexOf(query) !== -1) &&
        (!wanted || row.getAttribute("data-plan") === wanted);
      row.hidden = !match;
      if (match) {
        shown += 1;
        if (rest && rest.contains(row)) {
          shownInRest += 1;
        }
      }
    });
    if (rest && (query || wanted)) {
      rest.open = shownInRest > 0;
    }
    if (status) {
      status.textContent = query || wanted
        ? (shown ? "Showing " + shown + " of " + rows.length + " agencies." : "No agency matches.")
        : "";
    }
  }

  if (search) {
    search.addEventListener("input", apply);
  }
  if (plan) {
    plan.addEventListener("change", apply);
  }
  if (reset) {
    reset.addEventListener("click", function () {
      search.value = "";
      plan.value = "";
      apply();
      if (rest) {
        rest.open = false;
      }
    });
  }

  /* Printed: every agency of the current filter, the collapsed ones too. */
  var wasOpen = null;
  window.addEventListener("beforeprint", function () {
    if (rest && wasOpen === null) {
      wasOpen = rest.open;
      rest.open = true;
    }
  });
  window.addEventListener("afterprint", function () {
    if (rest && wasOpen !== null) {
      rest.open = wasOpen;
      wasOpen = null;
    }
  });

  document.documentElement.classList.add("js");
  apply();
  document.documentElement.setAttribute("data-ready", "true");
})();
