// Live replies on a thread page: new posts arrive over a WebSocket. When the socket drops (or the
// server closes it with 4503 because its channel layer, Redis, is down) the page says "live updates
// paused" and reconnects with growing, jittered delays (up to 1 s, 2 s, 4 s ... 30 s; never giving up).
// Each time the socket opens (first time and after a drop) the notice goes away and the page asks the
// server for the posts it missed meanwhile, so a reconnect shows exactly what was posted, once.
(function () {
  "use strict";
  var list = document.getElementById("post-list");
  if (!list || !window.WebSocket) { return; }
  var threadId = list.getAttribute("data-thread-id");
  var postsUrl = list.getAttribute("data-posts-url");
  var onLastPage = list.getAttribute("data-last-page") === "true";
  var status = document.getElementById("live-status");
  var fallback = document.getElementById("live-fallback");
  var paused = document.getElementById("live-paused");
  var attempts = 0;
  var socket;

  function showFallback() { if (fallback) { fallback.hidden = false; } }

  function showPaused() {
    if (!paused || paused.firstChild) { return; }
    var note = document.createElement("p");
    note.className = "message message--warning";
    note.textContent = paused.getAttribute("data-message") || "Live updates paused. Reconnecting…";
    paused.appendChild(note);
  }

  function hidePaused() {
    while (paused && paused.firstChild) { paused.removeChild(paused.firstChild); }
  }

  function append(message) {
    if (document.getElementById("post-" + message.post_id)) { return; }
    if (!onLastPage) { showFallback(); return; }
    var wrapper = document.createElement("div");
    wrapper.innerHTML = message.html;  // server-rendered from sanitised HTML
    var article = wrapper.firstElementChild;
    if (!article) { return; }
    list.appendChild(article);
    if (status) { status.textContent = status.getAttribute("data-new") || article.textContent.trim().slice(0, 80); }
  }

  function lastPostId() {
    var last = 0;
    var posts = list.querySelectorAll("article[id^='post-']");
    for (var i = 0; i < posts.length; i++) {
      var id = parseInt(posts[i].id.slice(5), 10);
      if (id > last) { last = id; }
    }
    return last;
  }

  function catchUp() {
    if (!onLastPage || !postsUrl || !window.fetch) { return; }
    window.fetch(postsUrl + "?after=" + lastPostId(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(function (data) {
        (data.posts || []).forEach(append);
        if (data.more) { showFallback(); }
      })
      .catch(showFallback);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/forums/threads/" + threadId + "/");
    socket.addEventListener("open", function () {
      attempts = 0;
      hidePaused();
      if (fallback) { fallback.hidden = true; }
      list.setAttribute("data-live", "connected");
      catchUp();
    });
    socket.addEventListener("message", function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message && message.type === "post") { append(message); }
    });
    socket.addEventListener("close", function (event) {
      list.setAttribute("data-live", "closed");
      if (event.code === 4403) { return; }
      showPaused();
      attempts += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(attempts - 1, 5)));
      window.setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    });
  }
  connect();
})();
