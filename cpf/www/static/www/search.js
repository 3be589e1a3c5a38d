/* Search page enhancements. The page works without this file: the form is a plain GET form. */
(function () {
  "use strict";
  var button = document.getElementById("around-me");
  var form = document.getElementById("search-form");
  if (!form) { return; }
  var place = form.querySelector("[name=place]");
  var lat = document.getElementById("id_lat");
  var lon = document.getElementById("id_lon");
  var status = document.getElementById("around-me-status");

  // On a phone, the filters start folded: the results come first.
  var filters = document.getElementById("filters");
  if (filters && window.matchMedia && window.matchMedia("(max-width: 47.99em)").matches) {
    filters.open = false;
  }

  // Typing a place forgets a position given earlier.
  if (place) {
    place.addEventListener("input", function () { lat.value = ""; lon.value = ""; });
  }

  if (button && "geolocation" in navigator) {
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "Recherche de votre position…";
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(5);
        lon.value = position.coords.longitude.toFixed(5);
        place.value = button.dataset.label;
        status.textContent = "Position trouvée.";
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }, function () {
        status.textContent = "Votre position n'est pas disponible : indiquez une commune.";
      }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 });
    });
  }
})();
