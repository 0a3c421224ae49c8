// "@" autocomplete in the forum editors (textareas with data-mention-source). Typing @ and the start of a
// handle asks the server for up to eight members; the suggestions form a listbox under the editor that
// the textarea controls (aria-autocomplete, aria-controls, aria-activedescendant): Up and Down choose,
// Enter or Tab insert "@handle ", Escape closes, a click inserts too. The number of suggestions is read
// out through a visually hidden status. Team members are found by their display name as well, but the
// handle is what gets inserted, because mentions resolve by handle. Without this file the editors are
// plain textareas and "@handle" typed by hand works the same.
(function () {
  "use strict";
  if (!window.fetch) { return; }
  var DEBOUNCE_MS = 150;
  var BEFORE_CARET = /(^|[^\w@])@([A-Za-z0-9-]{1,39})$/;

  function threadIdFor(textarea) {
    var action = textarea.form ? textarea.form.getAttribute("action") || "" : "";
    var match = /\/t\/(\d+)\//.exec(action) || /\/t\/(\d+)\//.exec(window.location.pathname);
    return match ? match[1] : "";
  }

  function setup(textarea) {
    var source = textarea.getAttribute("data-mention-source");
    var listId = (textarea.id || "editor") + "-mentions";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", textarea.getAttribute("data-mention-label") || "");
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", listId);
    var threadId = threadIdFor(textarea);
    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function typed() {
      if (textarea.selectionStart !== textarea.selectionEnd) { return null; }
      var caret = textarea.selectionStart;
      var match = BEFORE_CARET.exec(textarea.value.slice(0, caret));
      return match ? { start: caret - match[2].length, end: caret, text: match[2] } : null;
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      options = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight() {
      Array.prototype.forEach.call(list.children, function (item, index) {
        item.setAttribute("aria-selected", index === active ? "true" : "false");
      });
      if (active >= 0) {
        textarea.setAttribute("aria-activedescendant", listId + "-" + active);
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function pick(index) {
      var member = options[index];
      var at = typed();
      if (!member || !at) { close(); return; }
      var insert = member.handle + " ";
      textarea.value = textarea.value.slice(0, at.start) + insert + textarea.value.slice(at.end);
      var caret = at.start + insert.length;
      textarea.setSelectionRange(caret, caret);
      close();
      // Other listeners (the draft saver) hear of the change as of any typing.
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function show(results) {
      close();
      options = results;
      results.forEach(function (member, index) {
        var item = document.createElement("li");
        item.id = listId + "-" + index;
        item.className = "mention-option";
        item.setAttribute("role", "option");
        var handle = document.createElement("span");
        handle.textContent = "@" + member.handle;
        item.appendChild(handle);
        if (member.team) {
          var name = document.createElement("span");
          name.className = "muted";
          name.textContent = member.name + " · " + (textarea.getAttribute("data-mention-team") || "");
          item.appendChild(name);
        }
        item.addEventListener("mousedown", function (event) { event.preventDefault(); pick(index); });
        list.appendChild(item);
      });
      active = results.length ? 0 : -1;
      list.hidden = !results.length;
      highlight();
      status.textContent = results.length
        ? (textarea.getAttribute("data-mention-count") || "{count}").replace("{count}", String(results.length))
        : textarea.getAttribute("data-mention-none") || "";
    }

    function lookup(text) {
      var mine = ++asked;
      var url = source + "?q=" + encodeURIComponent(text) + (threadId ? "&thread=" + threadId : "");
      window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          var at = typed();
          // A newer question is on its way, or the caret left the handle meanwhile.
          if (mine !== asked || !at || at.text !== text) { return; }
          show(data.results || []);
        })
        .catch(close);
    }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      var at = typed();
      if (!at) { close(); return; }
      timer = window.setTimeout(function () { lookup(at.text); }, DEBOUNCE_MS);
    });

    textarea.addEventListener("keydown", function (event) {
      if (list.hidden || !options.length) { return; }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        active = (active + step + options.length) % options.length;
        highlight();
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        pick(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });

    textarea.addEventListener("click", function () { if (!typed()) { close(); } });
    textarea.addEventListener("blur", close);
  }

  document.querySelectorAll("textarea[data-mention-source]").forEach(setup);
})();
