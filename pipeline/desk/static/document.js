// A value's place on the original: focusing or pointing at "show on page N" beside a value draws
// a box over that page's picture where the value was read (the share of the page in its data-*
// attributes, as the reader measured it); following the link brings the page into view. No
// inline script or style: the Content-Security-Policy allows this file and the CSSOM only.
"use strict";

(function () {
  function placeOf(link) {
    var page = document.getElementById("page-" + link.dataset.page);
    return page ? page.querySelector(".place") : null;
  }

  function percent(value) {
    var number = parseFloat(value);
    return (isFinite(number) ? Math.min(Math.max(number, 0), 1) * 100 : 0) + "%";
  }

  function show(link) {
    document.querySelectorAll(".original .place").forEach(function (place) { place.hidden = true; });
    var place = placeOf(link);
    if (!place) { return; }
    place.style.left = percent(link.dataset.left);
    place.style.top = percent(link.dataset.top);
    place.style.width = percent(link.dataset.width);
    place.style.height = percent(link.dataset.height);
    place.hidden = false;
  }

  document.querySelectorAll("a.show-place").forEach(function (link) {
    link.addEventListener("focus", function () { show(link); });
    link.addEventListener("mouseenter", function () { show(link); });
    link.addEventListener("click", function (event) {
      var place = placeOf(link);
      if (!place) { return; }
      event.preventDefault();
      show(link);
      place.scrollIntoView({ block: "center", behavior: "smooth" });
    });
  });
})();
