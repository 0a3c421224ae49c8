// Knowledge base articles while typing, in any form (search box, forum question), through theme/suggest.js.
// Either mark the input: <input data-kb-suggest data-kb-suggest-target="list-id">,
// or let the results list name its input: <ul data-kb-suggest-results data-kb-suggest-for="input-id">.
// The list should be aria-live="polite"; its closest section is shown when there are results.
(function () {
  "use strict";
  var ARTICLES = { url: "/kb-tools/suggest/", minLength: 4, delay: 250 };
  var suggest = window.portalSuggest;
  if (!suggest) { return; }
  document.querySelectorAll("[data-kb-suggest]").forEach(function (input) {
    suggest.attach(input, document.getElementById(input.getAttribute("data-kb-suggest-target")), ARTICLES);
  });
  document.querySelectorAll("[data-kb-suggest-for]").forEach(function (list) {
    suggest.attach(document.getElementById(list.getAttribute("data-kb-suggest-for")), list, ARTICLES);
  });
})();
