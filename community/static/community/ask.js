// Similar questions while typing a title, and tag suggestions; the form works without this file.
(function () {
  "use strict";
  var title = document.querySelector("[data-similar-source]");
  var box = document.getElementById("similar");
  var list = document.getElementById("similar-list");
  var script = document.currentScript;
  var answered = script ? script.getAttribute("data-answered-label") : "Answered";
  var timer;
  if (title && box && list) {
    var suggest = function () {
        var value = title.value.trim();
        if (value.length < 4) { box.hidden = true; return; }
        fetch(box.getAttribute("data-similar-url") + "?title=" + encodeURIComponent(value), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) {
            list.textContent = "";
            data.results.forEach(function (item) {
              var li = document.createElement("li");
              var a = document.createElement("a");
              a.href = item.url;
              a.textContent = item.title;
              li.appendChild(a);
              if (item.answered) {
                var badge = document.createElement("span");
                badge.className = "status status--success";
                badge.textContent = answered;
                li.appendChild(document.createTextNode(" "));
                li.appendChild(badge);
              }
              list.appendChild(li);
            });
            box.hidden = data.results.length === 0;
          })
          .catch(function () { box.hidden = true; });
    };
    title.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(suggest, 300);
    });
    // A title typed before this script ran (or restored by the browser on "back") gets suggestions too.
    if (title.value.trim()) { suggest(); }
  }
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
