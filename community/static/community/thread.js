// Live replies on a thread page: new posts arrive over a WebSocket; a reload link shows when it is down.
// Each time the socket opens (first time and after a drop) the page asks the server for the posts it
// missed meanwhile, so a reconnect shows exactly what was posted, once.
(function () {
  "use strict";
  var list = document.getElementById("post-list");
  if (!list || !window.WebSocket) { return; }
  var threadId = list.getAttribute("data-thread-id");
  var postsUrl = list.getAttribute("data-posts-url");
  var onLastPage = list.getAttribute("data-last-page") === "true";
  var status = document.getElementById("live-status");
  var fallback = document.getElementById("live-fallback");
  var attempts = 0;
  var socket;

  function showFallback() { if (fallback) { fallback.hidden = false; } }

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
      showFallback();
      attempts += 1;
      if (attempts <= 5) { window.setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, attempts))); }
    });
  }
  connect();
})();
