// Live replies on a thread page. The socket only says which post is new; the page fetches that post's
// HTML rendered for its own viewer (the same include the server renders, so the same buttons: react,
// quote, accept, flag, edit) together with the reply count, and reads a short announcement into the
// visually hidden live region.
// When the socket drops (or the server closes it with 4503 because its channel layer, Redis, is down)
// the page says "live updates paused" and reconnects with growing, jittered delays (up to 1 s, 2 s,
// 4 s ... 30 s; never giving up). Each time the socket opens (first time and after a drop) the notice
// goes away and the page asks the server for the posts it missed meanwhile, so a reconnect shows
// exactly what was posted, once.
// "Helpful" is sent without leaving the page; the post is then re-fetched, so its count and button
// read as after a reload. Without JavaScript every button is an ordinary form or link.
(function () {
  "use strict";
  var list = document.getElementById("post-list");
  if (!list || !window.WebSocket || !window.fetch) { return; }
  var threadId = list.getAttribute("data-thread-id");
  var postsUrl = list.getAttribute("data-posts-url");
  var postUrlBase = list.getAttribute("data-post-url-base") || "/forums/p/";
  var onLastPage = list.getAttribute("data-last-page") === "true";
  var heading = document.getElementById("replies-heading");
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

  function getJson(url) {
    return window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); });
  }

  function fragmentUrl(postId) { return postUrlBase + postId + "/fragment/"; }

  function postId(article) { return parseInt(article.id.slice(5), 10); }

  function articleFrom(html) {
    var wrapper = document.createElement("div");
    wrapper.innerHTML = html;  // server-rendered from sanitised HTML
    return wrapper.firstElementChild;
  }

  function countReplies(data) {
    if (heading && data.replies_heading) { heading.textContent = data.replies_heading; }
  }

  // Posts stay in id order although their fetches may answer out of order.
  function insert(article) {
    var id = postId(article);
    var posts = list.querySelectorAll("article[id^='post-']");
    for (var i = 0; i < posts.length; i++) {
      if (postId(posts[i]) > id) { list.insertBefore(article, posts[i]); return; }
    }
    list.appendChild(article);
  }

  function add(item) {
    if (document.getElementById("post-" + item.post_id)) { return; }
    if (!onLastPage) { showFallback(); return; }
    var article = articleFrom(item.html);
    if (!article) { return; }
    article.classList.add("post--live");
    insert(article);
    if (status && item.announcement) { status.textContent = item.announcement; }
  }

  function fetchPost(id) {
    getJson(fragmentUrl(id))
      .then(function (data) { add(data); countReplies(data); })
      .catch(showFallback);
  }

  function lastPostId() {
    var last = 0;
    var posts = list.querySelectorAll("article[id^='post-']");
    for (var i = 0; i < posts.length; i++) { last = Math.max(last, postId(posts[i])); }
    return last;
  }

  function catchUp() {
    if (!onLastPage || !postsUrl) { return; }
    getJson(postsUrl + "?after=" + lastPostId())
      .then(function (data) {
        (data.posts || []).forEach(add);
        countReplies(data);
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
      if (message && message.type === "post" && typeof message.post_id === "number") { fetchPost(message.post_id); }
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

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !/\/helpful\/$/.test(form.getAttribute("action") || "")) { return; }
    var article = form.closest("article.post[id^='post-']");
    if (!article) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    var sent = false;
    window.fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin", headers: { "Accept": "application/json" }
    })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } sent = true; })
      .then(function () { return getJson(fragmentUrl(postId(article))); })
      .then(function (data) {
        var fresh = articleFrom(data.html);
        if (!fresh || !article.parentNode) { return; }
        if (article.classList.contains("post--live")) { fresh.classList.add("post--live"); }
        article.parentNode.replaceChild(fresh, article);
        var again = fresh.querySelector("form[action$='/helpful/'] button");
        if (again) { again.focus(); }
      })
      // Not sent: the ordinary form does it. Sent but not re-fetched: a reload shows the stored state.
      .catch(function () { if (sent) { window.location.reload(); } else { form.submit(); } });
  });

  connect();
})();
