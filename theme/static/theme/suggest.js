/* Suggestions while typing (similar questions, similar ideas, knowledge base articles) and the
 * list of links they show, which the chat console's lists share. Pages work without this file.
 *
 * A results list says where to look and what to show:
 *   <ul aria-live="polite"
 *       data-suggest-url="/forums/similar/"   endpoint answering {"results": [{"url", "title", ...}]}
 *       data-suggest-for="id_title"           the input to follow
 *       data-suggest-param="title"            query parameter (default "q")
 *       data-suggest-min="4"                  characters before asking (default 3)
 *       data-suggest-delay="300"              pause in typing before asking, in ms (default 250)
 *       data-suggest-meta=" ({votes} · {status})"            optional muted note after each link
 *       data-suggest-flag="answered" data-suggest-flag-label="Answered">   optional badge for a true field
 *   </ul>
 * A result's "excerpt" is shown under its link. The list's closest section (or [data-suggest-box])
 * is hidden while there is nothing to show.
 */
(function () {
  "use strict";
  if (window.portalSuggest) { return; }

  function part(li, tagName, className, text) {
    var node = document.createElement(tagName);
    node.className = className;
    node.textContent = text;
    li.appendChild(node);
  }

  /* items: [{url, title, meta, badge, excerpt}]; everything but url and title is optional. */
  function renderLinks(list, items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;
      li.appendChild(a);
      if (item.meta) { part(li, "span", "muted", item.meta); }
      if (item.badge) {
        li.appendChild(document.createTextNode(" "));
        part(li, "span", "status status--success", item.badge);
      }
      if (item.excerpt) { part(li, "p", "muted", item.excerpt); }
      list.appendChild(li);
    });
  }

  function fill(pattern, row) {
    return pattern.replace(/\{(\w+)\}/g, function (_match, key) { return row[key] == null ? "" : String(row[key]); });
  }

  function optionsOf(list) {
    var data = list.dataset;
    return {
      url: data.suggestUrl,
      param: data.suggestParam || "q",
      minLength: parseInt(data.suggestMin || "3", 10),
      delay: parseInt(data.suggestDelay || "250", 10),
      meta: data.suggestMeta || "",
      flag: data.suggestFlag || "",
      flagLabel: data.suggestFlagLabel || "",
    };
  }

  /* Follow input and show its suggestions in list; options default to the list's data attributes. */
  function attach(input, list, options) {
    if (!input || !list || list.dataset.suggestAttached) { return; }
    var settings = optionsOf(list);
    Object.keys(options || {}).forEach(function (key) { settings[key] = options[key]; });
    if (!settings.url) { return; }
    list.dataset.suggestAttached = "1";
    var box = list.closest("[data-suggest-box], section") || list;
    var timer = null;
    var last = null;
    var controller = null;

    function show(rows) {
      renderLinks(list, rows.map(function (row) {
        return {
          url: row.url,
          title: row.title,
          meta: settings.meta ? fill(settings.meta, row) : "",
          badge: settings.flag && row[settings.flag] ? settings.flagLabel : "",
          excerpt: row.excerpt || "",
        };
      }));
      box.hidden = rows.length === 0;
    }

    function lookUp() {
      var value = input.value.trim();
      if (value === last) { return; }
      last = value;
      if (controller) { controller.abort(); }
      if (value.length < settings.minLength) { show([]); return; }
      controller = window.AbortController ? new AbortController() : null;
      var url = new URL(settings.url, window.location.href);
      url.searchParams.set(settings.param, value.slice(0, 200));
      fetch(url.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { show(data.results || []); })
        .catch(function (error) { if (!error || error.name !== "AbortError") { box.hidden = true; } });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookUp, settings.delay);
    });
    // A value the page was not rendered with (typed before this script ran, or restored on "back") counts too.
    if (input.value.trim() && input.value !== input.defaultValue) { lookUp(); }
  }

  window.portalSuggest = { attach: attach, renderLinks: renderLinks };
  document.querySelectorAll("[data-suggest-url][data-suggest-for]").forEach(function (list) {
    attach(document.getElementById(list.dataset.suggestFor), list);
  });
})();
