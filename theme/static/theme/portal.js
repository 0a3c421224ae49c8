// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var toggle = document.querySelector("[data-nav-toggle]");
  if (toggle) {
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      nav.classList.toggle("is-open", !open);
    });
  }
  // Recovery codes: a print button where printing is possible.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // The notification badge (and the list on the notifications page) follow the member's notifications
  // over a WebSocket of their own: the server sends {unread, latest} on connecting and on every change.
  // A changed count is read out politely; the socket reconnects with growing delays after a drop.
  var bell = document.querySelector("[data-notifications-live]");
  if (bell && window.WebSocket) {
    var announcer = document.querySelector("[data-notifications-status]");
    var attempts = 0;

    var shownCount = function () {
      var badge = bell.querySelector("[data-unread-count]");
      return badge ? parseInt(badge.textContent.replace(/\D/g, ""), 10) || 0 : 0;
    };

    var showCount = function (unread) {
      if (unread === shownCount()) { return; }
      var badge = bell.querySelector("[data-unread-count]");
      var label = bell.querySelector("[data-unread-label]");
      if (unread > 0) {
        if (!badge) {
          badge = document.createElement("span");
          badge.className = "badge";
          badge.setAttribute("data-unread-count", "");
          label = document.createElement("span");
          label.className = "visually-hidden";
          label.setAttribute("data-unread-label", "");
          label.textContent = " " + bell.getAttribute("data-notifications-live");
          bell.appendChild(document.createTextNode(" "));
          bell.appendChild(badge);
          bell.appendChild(label);
        }
        badge.textContent = String(unread);
      } else {
        if (badge) { badge.remove(); }
        if (label) { label.remove(); }
      }
      if (announcer) {
        announcer.textContent = (announcer.getAttribute("data-message") || "{count}").replace("{count}", String(unread));
      }
    };

    var refreshList = function (state) {
      var items = document.getElementById("notification-items");
      var section = document.getElementById("notification-list");
      if (!items || !section || !window.fetch) { return; }
      if (items.getAttribute("data-latest-id") === String(state.latest) &&
          items.getAttribute("data-unread") === String(state.unread)) { return; }
      window.fetch(section.getAttribute("data-source"), { credentials: "same-origin" })
        .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.text(); })
        .then(function (html) {
          var current = document.getElementById("notification-items");
          var wrapper = document.createElement("div");
          wrapper.innerHTML = html;
          var fresh = wrapper.querySelector("#notification-items");
          if (!current || !fresh) { return; }
          var hadFocus = current.contains(document.activeElement);
          current.replaceWith(fresh);
          if (hadFocus) { document.getElementById("list-heading").focus(); }
        })
        .catch(function () { /* the list stays as it is; the next change or a reload shows it */ });
    };

    var connect = function () {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + window.location.host + "/ws/notifications/");
      socket.addEventListener("open", function () { attempts = 0; bell.setAttribute("data-live", "connected"); });
      socket.addEventListener("message", function (event) {
        var state;
        try { state = JSON.parse(event.data); } catch (e) { return; }
        if (!state || state.type !== "notifications" || typeof state.unread !== "number") { return; }
        showCount(state.unread);
        refreshList(state);
      });
      socket.addEventListener("close", function (event) {
        bell.setAttribute("data-live", "closed");
        if (event.code === 4403) { return; }
        attempts += 1;
        var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(attempts - 1, 5)));
        window.setTimeout(connect, delay / 2 + Math.random() * delay / 2);
      });
    };
    connect();
  }
})();
