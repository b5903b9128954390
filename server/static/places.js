// Suggestions of French communes as a member types a place (progressive enhancement: without
// this script, the server resolves the text on submit and offers the candidates).
// Fills the <datalist> named by each input's data-place-suggestions from GET /api/v1/places.
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-place-suggestions]");
  Array.prototype.forEach.call(inputs, function (input) {
    var list = document.getElementById(input.getAttribute("data-place-suggestions"));
    if (!list) return;
    input.setAttribute("list", list.id);
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      // Coordinates, or too short to say anything: no suggestions.
      if (text.length < 2 || /^-?[0-9.]+\s*,/.test(text)) return;
      timer = setTimeout(function () {
        if (text === asked) return;
        asked = text;
        var lang = document.documentElement.lang || "fr";
        fetch("/api/v1/places?limit=8&lang=" + encodeURIComponent(lang) + "&q=" + encodeURIComponent(text), {
          headers: { accept: "application/json" },
          credentials: "omit"
        })
          .then(function (reply) { return reply.ok ? reply.json() : { items: [] }; })
          .then(function (page) {
            if (input.value.trim() !== text) return;
            while (list.firstChild) list.removeChild(list.firstChild);
            page.items.forEach(function (place) {
              var option = document.createElement("option");
              option.value = place.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a help; typing still works */ });
      }, 150);
    });
  });
})();
