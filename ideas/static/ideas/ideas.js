// Progressive enhancement for idea boards: votes without a page load (suggestions: theme/suggest.js).
(function () {
  "use strict";

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
          var unit = form.querySelector("[data-vote-unit]");
          if (unit && res.data.vote_unit) { unit.textContent = res.data.vote_unit; }
          var row = form.closest(".ideas-item");
          var tag = row && row.querySelector("[data-voted-tag]");
          if (tag) { tag.hidden = !voted; }
          button.setAttribute("aria-pressed", voted ? "true" : "false");
          button.classList.toggle("button--secondary", voted);
          var label = button.getAttribute(voted ? "data-label-unvote" : "data-label-vote");
          if (label) { button.querySelector("[data-vote-label]").textContent = label; }
        })
        .catch(function () { form.submit(); })
        .then(function () { button.disabled = false; });
    });
  });
})();
