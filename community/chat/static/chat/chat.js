/* Live chat client: the member's chat page, the console chat panel and the console lists.
 *
 * Every message carries a sequence number. After any (re)connect the client sends the last
 * number it has shown and the server replays exactly what came after; lines are keyed by
 * sequence number, so nothing is shown twice. Messages typed while offline wait in an outbox
 * and are sent again with the same client id, which the server deduplicates.
 *
 * A member's message with personal data in it comes back as a "pii_warning" frame instead of
 * being stored: the text returns to the input and the warning lists the findings. Its buttons
 * send the text again with the member's answer ("remove_pii" or "post_anyway"); sending it any
 * other way, edited or not, has it checked afresh.
 */
(function () {
  "use strict";

  var stringsNode = document.getElementById("chat-strings");
  var T = stringsNode ? JSON.parse(stringsNode.textContent) : {};
  var lang = document.documentElement.lang || "en";

  function fmt(text, value) { return String(text || "").replace("%s", value); }

  function socketUrl(path) {
    var proto = window.location.protocol === "https:" ? "wss://" : "ws://";
    return proto + window.location.host + path + "?lang=" + encodeURIComponent(lang);
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var out = "";
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) { out += ("0" + bytes[i].toString(16)).slice(-2); }
    return out;
  }

  /* A socket that reconnects with backoff and calls onOpen after every (re)connect. */
  function LiveSocket(path, handlers) {
    var self = this;
    self.ws = null;
    self.stopped = false;
    self.delay = 500;
    self.send = function (frame) {
      if (self.ws && self.ws.readyState === WebSocket.OPEN) { self.ws.send(JSON.stringify(frame)); return true; }
      return false;
    };
    self.connect = function () {
      if (self.stopped) { return; }
      if (self.ws && (self.ws.readyState === WebSocket.OPEN || self.ws.readyState === WebSocket.CONNECTING)) { return; }
      var ws = new WebSocket(socketUrl(path));
      self.ws = ws;
      ws.onopen = function () { self.delay = 500; handlers.status(T.connected); handlers.open(); };
      ws.onmessage = function (event) {
        var frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        handlers.frame(frame);
      };
      ws.onclose = function (event) {
        if (self.ws !== ws) { return; }
        if (event.code === 4401 || event.code === 4403) {
          self.stopped = true;
          handlers.status(T.refused);
          return;
        }
        handlers.status(T.reconnecting);
        window.setTimeout(self.connect, self.delay);
        self.delay = Math.min(self.delay * 2, 8000);
      };
    };
    window.addEventListener("offline", function () {
      handlers.status(T.offline);
      if (self.ws) { self.ws.close(); }
    });
    window.addEventListener("online", function () { self.delay = 500; self.connect(); });
    self.connect();
  }

  /* ---- chat panel ------------------------------------------------------------------- */

  function ChatPanel(root) {
    var role = root.dataset.role; /* "member" or "staff" */
    var myKind = role === "member" ? "member" : "staff";
    var userId = parseInt(root.dataset.userId || "0", 10);
    var lastSeq = parseInt(root.dataset.lastSeq || "0", 10);
    var log = document.getElementById("chat-log");
    var form = document.getElementById("chat-form");
    var input = document.getElementById("chat-input");
    var typingNode = document.getElementById("chat-typing");
    var errorNode = document.getElementById("chat-error");
    var statusNode = document.getElementById("chat-status");
    var connNode = document.getElementById("chat-connection");
    var queueNode = document.getElementById("chat-queue");
    var endedNode = document.getElementById("chat-ended");
    var takeButton = document.getElementById("chat-take");
    var actions = document.getElementById("chat-actions");
    var moderatorNode = document.getElementById("chat-moderator");
    var piiNode = document.getElementById("pii-warning");
    var outbox = []; /* {client_id, body, action} not yet acknowledged */
    var warnedAbout = []; /* the texts the last personal-data warning found */
    var typingTimer = null;
    var lastTypingSent = 0;
    var socket;

    function byClientId(clientId) {
      return clientId ? log.querySelector('li[data-client-id="' + CSS.escape(clientId) + '"]') : null;
    }

    function setState(node, delivered) {
      if (!node) { return; }
      node.dataset.delivered = delivered ? "1" : "0";
      node.textContent = delivered ? T.delivered : T.sent;
    }

    function lineFor(message) {
      var li = document.createElement("li");
      li.className = "chat-line chat-line--" + message.kind;
      li.dataset.seq = String(message.seq);
      if (message.client_id) { li.dataset.clientId = message.client_id; }
      if (message.kind === "bot") {
        var botAuthor = document.createElement("span");
        botAuthor.className = "chat-line__author";
        botAuthor.textContent = T.bot + " ";
        var botTag = document.createElement("span");
        botTag.className = "tag tag--bot";
        botTag.textContent = T.automated;
        botAuthor.appendChild(botTag);
        li.appendChild(botAuthor);
      } else if (message.kind !== "system") {
        var author = document.createElement("span");
        author.className = "chat-line__author";
        author.textContent = message.author ? (message.team ? message.author : "@" + message.author) : T.deleted;
        if (message.team || message.kind === "staff") {
          var tag = document.createElement("span");
          tag.className = message.team ? "tag tag--team" : "tag";
          tag.textContent = message.team ? T.team : T.support;
          author.appendChild(document.createTextNode(" "));
          author.appendChild(tag);
        }
        li.appendChild(author);
      }
      var time = document.createElement("time");
      time.className = "chat-line__time muted";
      time.dateTime = message.created_at;
      /* The server formats the time in the portal's zone, as on the lines it rendered into the page. */
      time.textContent = message.time || "";
      li.appendChild(time);
      var body = document.createElement("div");
      body.className = "chat-line__body prose";
      body.innerHTML = message.html; /* sanitised on the server (Markdown + bleach) or escaped notice */
      li.appendChild(body);
      if (message.ask && role === "member" && botOpen(root.dataset.status)) { addFeedback(li, message.ask); }
      if (message.kind !== "system" && message.kind !== "bot") {
        var state = document.createElement("span");
        state.className = "chat-line__state muted";
        setState(state, message.delivered);
        li.appendChild(state);
      }
      return li;
    }

    function botOpen(status) { return status === "bot" || status === "waiting"; }

    /* "Did this solve it?" under a bot answer: the page's own form, so it also works without the socket. */
    function addFeedback(li, answerId) {
      var template = document.getElementById("bot-feedback-template");
      if (!template) { return; }
      var form = template.content.firstElementChild.cloneNode(true);
      form.dataset.answer = String(answerId);
      form.querySelector("input[name=answer]").value = String(answerId);
      li.appendChild(form);
    }

    function show(message) {
      if (log.querySelector('li[data-seq="' + message.seq + '"]')) { return; }
      var pending = byClientId(message.client_id);
      if (pending && !pending.dataset.seq) { pending.remove(); }
      var line = lineFor(message);
      /* Lines stay in sequence order; unsent lines of this browser stay below them. */
      var before = null;
      for (var child = log.firstElementChild; child; child = child.nextElementSibling) {
        if (!child.dataset.seq || parseInt(child.dataset.seq, 10) > message.seq) { before = child; break; }
      }
      log.insertBefore(line, before);
      outbox = outbox.filter(function (item) { return item.client_id !== message.client_id; });
      if (message.seq > lastSeq) { lastSeq = message.seq; root.dataset.lastSeq = String(lastSeq); }
      if (message.kind !== "system" && message.kind !== "bot" && message.kind !== myKind) {
        typingNode.textContent = "";
        socket.send({ type: "delivered", seq: lastSeq });
      }
      log.scrollTop = log.scrollHeight;
    }

    function showError(text) {
      errorNode.textContent = text;
      errorNode.hidden = false;
      window.setTimeout(function () { errorNode.hidden = true; }, 6000);
    }

    function applyState(state) {
      root.dataset.status = state.status;
      if (statusNode) { statusNode.textContent = (T.statuses || {})[state.status] || state.status; statusNode.dataset.status = state.status; }
      var open = state.status === "bot" || state.status === "waiting" || state.status === "active";
      var mine = role === "member" || (state.status === "active" && state.moderator_id === userId);
      if (form) { form.hidden = !(open && mine); }
      if (endedNode) { endedNode.hidden = open; }
      if (takeButton) { takeButton.hidden = state.status !== "waiting"; }
      if (actions) { actions.hidden = !(open && (state.moderator_id === userId || !state.moderator_id)); }
      if (moderatorNode) { moderatorNode.textContent = state.moderator ? fmt(T.handled_by, state.moderator) : ""; }
      if (queueNode && state.status !== "waiting") { queueNode.hidden = true; }
      /* Once a person has joined, the bot's offers and the waiting panel are no longer relevant. */
      var botBar = document.getElementById("chat-bot-bar");
      if (botBar) { botBar.hidden = state.status !== "bot"; }
      var waitPanel = document.getElementById("chat-wait-panel");
      if (waitPanel) { waitPanel.hidden = !botOpen(state.status); }
      if (!botOpen(state.status)) {
        log.querySelectorAll("[data-bot-feedback]").forEach(function (node) { node.remove(); });
      }
      if (role === "member" && state.thread_offer && !document.getElementById("chat-offer")) { window.location.reload(); }
      if (role === "member" && state.thread_url) { window.location.assign(state.thread_url); }
    }

    function showQueue(position) {
      if (!queueNode) { return; }
      if (position) { queueNode.textContent = fmt(T.queue, position); queueNode.hidden = false; } else { queueNode.hidden = true; }
    }

    function messageFrame(item) {
      var frame = { type: "message", body: item.body, client_id: item.client_id };
      if (item.action) { frame.action = item.action; }
      return frame;
    }

    function flushOutbox() {
      outbox.forEach(function (item) { socket.send(messageFrame(item)); });
    }

    function warnAboutPersonalData(frame) {
      var held = outbox.filter(function (item) { return item.client_id === frame.client_id; })[0];
      outbox = outbox.filter(function (item) { return item !== held; });
      var pending = byClientId(frame.client_id);
      if (pending && !pending.dataset.seq) { pending.remove(); }
      if (!held || !piiNode) { return; }
      /* Text typed since then stays; nothing the member wrote is lost. */
      input.value = input.value.trim() ? held.body + "\n" + input.value : held.body;
      warnedAbout = frame.findings.map(function (finding) { return finding.text; });
      var list = piiNode.querySelector("[data-pii-findings]");
      list.textContent = "";
      frame.findings.forEach(function (finding) {
        var li = document.createElement("li");
        var code = document.createElement("code");
        code.textContent = finding.text;
        li.appendChild(document.createTextNode(finding.label + ": "));
        li.appendChild(code);
        list.appendChild(li);
      });
      piiNode.hidden = false;
      piiNode.focus();
    }

    function onFrame(frame) {
      switch (frame.type) {
        case "hello":
          applyState(frame.chat);
          showQueue(frame.queue);
          break;
        case "replay":
          frame.messages.forEach(show);
          applyState(frame.chat);
          showQueue(frame.queue);
          flushOutbox();
          break;
        case "message":
          if (frame.message.seq > lastSeq + 1) {
            socket.send({ type: "sync", last_seq: lastSeq });
          } else {
            show(frame.message);
          }
          break;
        case "ack":
          outbox = outbox.filter(function (item) { return item.client_id !== frame.client_id; });
          var pending = byClientId(frame.client_id);
          if (pending && !pending.dataset.seq) { setState(pending.querySelector(".chat-line__state"), false); }
          break;
        case "state":
          applyState(frame);
          break;
        case "queue":
          showQueue(frame.position);
          break;
        case "bot_feedback":
          log.querySelectorAll('[data-bot-feedback][data-answer="' + frame.answer + '"]').forEach(function (node) { node.remove(); });
          break;
        case "delivered":
          log.querySelectorAll(".chat-line--" + frame.kind).forEach(function (li) {
            if (parseInt(li.dataset.seq || "0", 10) <= frame.seq) { setState(li.querySelector(".chat-line__state"), true); }
          });
          break;
        case "typing":
          typingNode.textContent = fmt(T.typing, frame.team ? frame.handle + " (" + T.team + ")" : frame.handle);
          window.clearTimeout(typingTimer);
          typingTimer = window.setTimeout(function () { typingNode.textContent = ""; }, 4000);
          break;
        case "tags":
          var tagsNode = document.getElementById("chat-tags");
          if (tagsNode) {
            tagsNode.textContent = "";
            frame.tags.forEach(function (name) {
              var span = document.createElement("span");
              span.className = "tag";
              span.textContent = "#" + name;
              tagsNode.appendChild(span);
            });
          }
          break;
        case "pii_warning":
          warnAboutPersonalData(frame);
          break;
        case "error":
          showError(frame.message || frame.error);
          break;
      }
    }

    socket = new LiveSocket(root.dataset.wsPath, {
      open: function () { socket.send({ type: "sync", last_seq: lastSeq }); },
      frame: onFrame,
      status: function (text) { if (connNode) { connNode.textContent = text || ""; } },
    });

    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var body = input.value.trim();
        if (!body) { return; }
        var item = { client_id: newClientId(), body: body };
        /* The warning's buttons answer it for the text in the input; Enter or "Send" asks afresh. */
        var answer = event.submitter && event.submitter.name === "action" ? event.submitter.value : "";
        if (answer) { item.action = answer; }
        if (piiNode && !piiNode.hidden) { piiNode.hidden = true; input.focus(); }
        outbox.push(item);
        var li = document.createElement("li");
        li.className = "chat-line chat-line--" + myKind + " chat-line--pending";
        li.dataset.clientId = item.client_id;
        var text = document.createElement("div");
        text.className = "chat-line__body";
        /* Until the server's copy replaces this line, what the member chose to remove is not shown either. */
        var shown = body;
        if (answer === "remove_pii") {
          warnedAbout.forEach(function (found) { shown = shown.split(found).join("…"); });
        }
        text.textContent = shown;
        li.appendChild(text);
        var state = document.createElement("span");
        state.className = "chat-line__state muted";
        state.textContent = T.sending;
        li.appendChild(state);
        log.appendChild(li);
        input.value = "";
        socket.send(messageFrame(item));
      });
      input.addEventListener("input", function () {
        var now = Date.now();
        if (now - lastTypingSent > 3000) { lastTypingSent = now; socket.send({ type: "typing" }); }
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
      });
    }
    var closeButton = document.getElementById("chat-close");
    if (closeButton) { closeButton.addEventListener("click", function () { socket.send({ type: "close" }); }); }
    if (takeButton) { takeButton.addEventListener("click", function () { socket.send({ type: "take" }); }); }
    document.querySelectorAll("[data-canned]").forEach(function (button) {
      button.addEventListener("click", function () { input.value = button.dataset.canned; input.focus(); });
    });
    var transfer = document.getElementById("chat-transfer-form");
    if (transfer) {
      transfer.addEventListener("submit", function (event) {
        event.preventDefault();
        socket.send({ type: "transfer", to: parseInt(transfer.elements.to.value, 10) });
      });
    }
    var tagForm = document.getElementById("chat-tag-form");
    if (tagForm) {
      tagForm.addEventListener("submit", function (event) {
        event.preventDefault();
        socket.send({ type: "tag", name: tagForm.elements.name.value });
        tagForm.elements.name.value = "";
      });
    }
    var offer = document.getElementById("chat-offer-form");
    if (offer) {
      offer.addEventListener("submit", function (event) {
        event.preventDefault();
        socket.send({ type: "offer_thread", forum: parseInt(offer.elements.forum.value, 10) });
      });
    }
  }

  /* ---- console lists ------------------------------------------------------------------ */

  function ConsoleLists(root) {
    var conn = document.getElementById("console-connection");
    function render(key, rows) {
      var list = root.querySelector('[data-list="' + key + '"]');
      var count = root.querySelector('[data-count="' + key + '"]');
      if (!list) { return; }
      list.textContent = "";
      if (count) { count.textContent = String(rows.length); }
      if (!rows.length) {
        var empty = document.createElement("li");
        empty.className = "muted";
        empty.textContent = (T.empty || {})[key] || "";
        list.appendChild(empty);
        return;
      }
      window.portalSuggest.renderLinks(list, rows.map(function (row) {
        return { url: row.url, title: row.topic, meta: " @" + row.member + (row.moderator ? " · " + row.moderator : "") };
      }));
    }
    new LiveSocket(root.dataset.wsPath, {
      open: function () {},
      frame: function (frame) {
        if (frame.type === "queue") { ["waiting", "active", "offline"].forEach(function (key) { render(key, frame[key]); }); }
      },
      status: function (text) { if (conn) { conn.textContent = text || ""; } },
    });
  }

  var panel = document.getElementById("chat");
  if (panel && panel.dataset.wsPath) { ChatPanel(panel); }
  var consoleRoot = document.getElementById("console");
  if (consoleRoot && consoleRoot.dataset.wsPath) { ConsoleLists(consoleRoot); }
})();
