// Progressive enhancement for idea boards: live similar-idea suggestions and votes without a page load.
(function () {
  "use strict";

  var results = document.querySelector("[data-similar-results]");
  var title = document.querySelector("[data-similar-source]");
  if (results && title) {
    var list = results.querySelector("ul");
    var timer = null;
    var lastQuery = "";
    var search = function () {
      var q = title.value.trim();
      if (q === lastQuery) { return; }
      lastQuery = q;
      if (q.length < 3) { results.hidden = true; return; }
      var url = results.getAttribute("data-url") + "?board=" + encodeURIComponent(results.getAttribute("data-board")) +
        "&q=" + encodeURIComponent(q);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          list.textContent = "";
          data.results.forEach(function (item) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = item.url;
            a.textContent = item.title;
            li.appendChild(a);
            var meta = document.createElement("span");
            meta.className = "muted";
            meta.textContent = " (" + item.votes + " · " + item.status + ")";
            li.appendChild(meta);
            list.appendChild(li);
          });
          results.hidden = data.results.length === 0;
        })
        .catch(function () { results.hidden = true; });
    };
    title.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 250);
    });
    // A title typed before this script ran (or restored by the browser on "back") gets suggestions too.
    if (title.value.trim()) { search(); }
  }

  document.querySelectorAll("[data-vote-form]").forEach(function (form) {
    var button = form.querySelector("button[aria-pressed]");
    if (!button) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
        .then(function (res) {
          if (!res.ok) { form.submit(); return; }
          var voted = res.data.voted;
          form.querySelector("input[name=voted]").value = voted ? "0" : "1";
          form.querySelector("[data-vote-count] strong").textContent = res.data.vote_count;
          button.setAttribute("aria-pressed", voted ? "true" : "false");
          button.classList.toggle("button--secondary", voted);
          var labels = button.closest("[data-label-vote]");
          button.querySelector("[data-vote-label]").textContent =
            labels.getAttribute(voted ? "data-label-unvote" : "data-label-vote");
        })
        .catch(function () { form.submit(); })
        .then(function () { button.disabled = false; });
    });
  });
})();
