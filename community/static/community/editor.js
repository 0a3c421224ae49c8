// The forum editor: keeps a draft on the server while the member types, and uploads images by button,
// drop or paste, inserting their Markdown at the cursor. Without JavaScript the form works as before.
(function () {
  "use strict";

  var SAVE_DELAY = 1500;

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setup(tools) {
    var form = tools.closest("form");
    if (!form) return;
    var body = form.querySelector("textarea[name=body]");
    if (!body) return;
    var title = form.querySelector("input[name=title]");
    var tags = form.querySelector("input[name=tags]");
    var status = tools.querySelector("[data-editor-status]");
    var picker = tools.querySelector("[data-editor-file]");
    var draftFlag = tools.querySelector("[data-editor-draft-flag]");
    var timer = null;
    var lastSaved = draftPayload();
    var saving = false;
    tools.hidden = false;

    function say(text) {
      if (status) status.textContent = text;
    }

    function draftPayload() {
      var data = { body: body.value };
      if (tools.dataset.draftThread) data.thread = Number(tools.dataset.draftThread);
      if (tools.dataset.draftForum) data.forum = tools.dataset.draftForum;
      if (title) data.title = title.value;
      if (tags) data.tags = tags.value;
      return JSON.stringify(data);
    }

    function saveDraft(keepalive) {
      window.clearTimeout(timer);
      timer = null;
      if (!tools.dataset.draftThread && !tools.dataset.draftForum) return;
      var payload = draftPayload();
      if (payload === lastSaved || saving) return;
      saving = true;
      fetch(tools.dataset.draftUrl, {
        method: "POST",
        credentials: "same-origin",
        keepalive: !!keepalive,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form), Accept: "application/json" },
        body: payload,
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (response.ok) {
              lastSaved = payload;
              // Posting this form now also clears the saved draft (community.views reads the flag).
              if (draftFlag) draftFlag.value = "1";
              say(data.status || "");
            } else {
              say(data.error || tools.dataset.saveFailed);
            }
          });
        })
        .catch(function () {
          say(tools.dataset.saveFailed);
        })
        .finally(function () {
          saving = false;
        });
    }

    function scheduleSave() {
      window.clearTimeout(timer);
      timer = window.setTimeout(saveDraft, SAVE_DELAY);
    }

    [body, title, tags].forEach(function (field) {
      if (!field) return;
      field.addEventListener("input", scheduleSave);
      // Leaving the field saves soon; clicking "Post" also leaves it, and its submit cancels this save.
      field.addEventListener("blur", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(saveDraft, 300);
      });
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") saveDraft(true);
    });
    form.addEventListener("submit", function () {
      // Posting clears the draft on the server; a pending save must not bring it back.
      window.clearTimeout(timer);
      timer = null;
      lastSaved = draftPayload();
    });

    function insertAtCursor(text) {
      var start = body.selectionStart != null ? body.selectionStart : body.value.length;
      var end = body.selectionEnd != null ? body.selectionEnd : start;
      var before = body.value.slice(0, start);
      var after = body.value.slice(end);
      // On a paragraph of its own, so the image stands apart from the text around it.
      var prefix = !before ? "" : /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
      var suffix = !after ? "\n" : /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
      body.value = before + prefix + text + suffix + after;
      var cursor = (before + prefix + text).length;
      body.setSelectionRange(cursor, cursor);
      body.focus();
      scheduleSave();
    }

    function upload(file) {
      if (!file) return;
      if (file.size > Number(tools.dataset.maxBytes)) {
        say(tools.dataset.tooLarge);
        return;
      }
      say(tools.dataset.uploading);
      fetch(tools.dataset.uploadUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": file.type || "application/octet-stream",
          "X-CSRFToken": csrfToken(form),
          Accept: "application/json",
        },
        body: file,
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (response.ok) {
              insertAtCursor(data.markdown);
              say(data.status || "");
            } else {
              say(data.error || tools.dataset.uploadFailed);
            }
          });
        })
        .catch(function () {
          say(tools.dataset.uploadFailed);
        });
    }

    var button = tools.querySelector("[data-editor-pick]");
    if (button && picker) {
      button.addEventListener("click", function () {
        picker.click();
      });
      picker.addEventListener("change", function () {
        Array.prototype.forEach.call(picker.files || [], upload);
        picker.value = "";
      });
    }
    body.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1) {
        event.preventDefault();
      }
    });
    body.addEventListener("drop", function (event) {
      var files = event.dataTransfer ? event.dataTransfer.files : null;
      if (!files || !files.length) return;
      event.preventDefault();
      Array.prototype.forEach.call(files, upload);
    });
    body.addEventListener("paste", function (event) {
      var items = event.clipboardData ? event.clipboardData.files : null;
      if (!items || !items.length) return;
      event.preventDefault();
      Array.prototype.forEach.call(items, upload);
    });
  }

  document.querySelectorAll("[data-editor]").forEach(setup);
})();
