// Knowledge base suggestions while typing, for any form (forum question, chat).
// Either mark the input: <input data-kb-suggest data-kb-suggest-target="list-id">,
// or let the results list name its input: <ul data-kb-suggest-results data-kb-suggest-for="input-id">.
// The list should be aria-live="polite"; its closest [hidden] section is shown when there are results.
(function () {
  "use strict";
  var ENDPOINT = "/kb-tools/suggest/";
  var MIN_CHARS = 4;

  function render(list, results) {
    list.textContent = "";
    results.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;
      li.appendChild(a);
      if (item.excerpt) {
        var p = document.createElement("p");
        p.className = "muted";
        p.textContent = item.excerpt;
        li.appendChild(p);
      }
      list.appendChild(li);
    });
    var box = list.closest("[data-kb-suggest-box]") || list.closest("section");
    if (box) { box.hidden = results.length === 0; }
  }

  function attach(input, list) {
    if (!input || !list || input.dataset.kbSuggestAttached) { return; }
    input.dataset.kbSuggestAttached = "1";
    var timer;
    var last = "";
    var controller = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var value = input.value.trim();
        if (value === last) { return; }
        last = value;
        if (value.length < MIN_CHARS) { render(list, []); return; }
        if (controller) { controller.abort(); }
        controller = window.AbortController ? new AbortController() : null;
        fetch(ENDPOINT + "?q=" + encodeURIComponent(value.slice(0, 200)), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          signal: controller ? controller.signal : undefined
        })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) { render(list, data.results || []); })
          .catch(function () {});
      }, 250);
    });
  }

  document.querySelectorAll("[data-kb-suggest]").forEach(function (input) {
    attach(input, document.getElementById(input.getAttribute("data-kb-suggest-target")));
  });
  document.querySelectorAll("[data-kb-suggest-for]").forEach(function (list) {
    attach(document.getElementById(list.getAttribute("data-kb-suggest-for")), list);
  });
})();
