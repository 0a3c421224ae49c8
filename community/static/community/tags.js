// Tag suggestions for the comma-separated tag inputs ([data-tag-source] with a datalist); the forms work without this file.
(function () {
  "use strict";
  document.querySelectorAll("[data-tag-source]").forEach(function (input) {
    var datalist = document.getElementById(input.getAttribute("list"));
    if (!datalist) { return; }
    input.addEventListener("input", function () {
      var parts = input.value.split(",");
      var last = parts[parts.length - 1].trim();
      if (last.length < 1) { return; }
      fetch("/forums/tags/?q=" + encodeURIComponent(last), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          datalist.textContent = "";
          var prefix = parts.slice(0, -1).map(function (p) { return p.trim(); }).filter(Boolean);
          data.results.forEach(function (name) {
            var option = document.createElement("option");
            option.value = prefix.concat([name]).join(", ");
            datalist.appendChild(option);
          });
        });
    });
  });
})();
