// Watch controls and bookmark buttons without leaving the page. Without this file they are ordinary
// forms (POST, then back to the page with a message); with it the same form is sent in the background,
// the answer is read out in the control's status region, and a bookmark button's pressed state flips.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }

  function send(form) {
    return window.fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || String(response.status)); }
        return data;
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    if (form.hasAttribute("data-watch-form")) {
      event.preventDefault();
      var status = form.querySelector("[data-watch-status]");
      send(form).then(function (data) {
        if (status) { status.textContent = data.message; }
      }).catch(function () { form.submit(); });
    } else if (form.hasAttribute("data-bookmark-form")) {
      event.preventDefault();
      var button = form.querySelector("button");
      if (button) { button.disabled = true; }
      send(form).then(function (data) {
        if (button) {
          button.setAttribute("aria-pressed", data.bookmarked ? "true" : "false");
          button.disabled = false;
          button.focus();
        }
        var live = document.getElementById("bookmark-status");
        if (!live) {
          live = document.createElement("div");
          live.id = "bookmark-status";
          live.className = "visually-hidden";
          live.setAttribute("role", "status");
          document.body.appendChild(live);
        }
        live.textContent = data.message;
      }).catch(function () { form.submit(); });
    }
  });
})();
