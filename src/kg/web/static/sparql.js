// The query editor: YASGUI (served from node_modules) on this service's /sparql endpoint.
// New queries start with the ontology's prefixes; the query library is offered as examples;
// a query handed over by another page (?query= or ?name=) is shown as it is.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("kg-editor-config").textContent);
  var examples = {};
  config.examples.forEach(function (q) { examples[q.name] = q.text; });
  var prefixes = Object.keys(config.prefixes).map(function (p) {
    return "PREFIX " + p + ": <" + config.prefixes[p] + ">";
  }).join("\n");
  var blank = prefixes + "\n\nSELECT ?method ?label WHERE {\n  ?method a kg:Method ;\n" +
    "          skos:prefLabel ?label .\n  FILTER(lang(?label) = \"en\")\n}\nLIMIT 20\n";

  Yasgui.Yasqe.defaults.value = blank;
  // Result IRIs open in this tab, and ours (under the base IRI) on this site's own pages:
  // a local install must not send readers to https://w3id.org/… (YASR has no hook for a
  // link's address, so the drawn links are rewritten as they appear).
  var table = Yasgui.Yasr && Yasgui.Yasr.plugins && Yasgui.Yasr.plugins.table;
  if (table && table.defaults) { table.defaults.openIriInNewWindow = false; }
  function localPage(iri) {
    if (iri.indexOf(config.base) !== 0) { return null; }
    var rest = iri.slice(config.base.length);
    var slash = rest.indexOf("/");
    var kind = slash > 0 ? rest.slice(0, slash) : "";
    var slug = slash > 0 ? rest.slice(slash + 1) : "";
    if (config.pages[kind] && slug && slug.indexOf("/") < 0 && slug.indexOf("#") < 0) {
      return "/" + config.pages[kind] + "/" + slug;
    }
    return "/" + rest;
  }
  function localise(root) {
    root.querySelectorAll("a[href^='" + config.base + "']").forEach(function (a) {
      var here = localPage(a.getAttribute("href"));
      if (here) {
        a.setAttribute("href", here);
        a.removeAttribute("target");
        a.setAttribute("title", a.textContent);
      }
    });
  }
  // YASGUI's parts as axe-core wants them (tests/test_accessibility.py): named inputs, a
  // focusable scrolling editor, the tab list's items as presentation around their tabs.
  function repair(root) {
    var names = { query: root.getAttribute("data-label-query"),
      endpoint: root.getAttribute("data-label-endpoint") };
    root.querySelectorAll(".CodeMirror textarea:not([aria-label])").forEach(function (t) {
      t.setAttribute("aria-label", names.query);
    });
    root.querySelectorAll("input.autocomplete:not([aria-label])").forEach(function (i) {
      i.setAttribute("aria-label", names.endpoint);
    });
    root.querySelectorAll(".CodeMirror-scroll:not([tabindex='0'])").forEach(function (e) {
      e.setAttribute("tabindex", "0");
    });
    root.querySelectorAll(".tabsList[role='tablist'] > :not([role])").forEach(function (e) {
      e.setAttribute("role", "presentation");  // the tabs are the links inside these items
    });
    // A tab list may own only tabs: YASGUI's "+" sits among them, so it is announced as the
    // tab that adds a tab (moving it out would break YASGUI's own insertBefore on it).
    root.querySelectorAll(".tabsList[role='tablist'] .addTab:not([role])").forEach(function (b) {
      b.setAttribute("role", "tab");
      b.setAttribute("aria-selected", "false");
    });
  }
  // YASR's cut ("Ellipse") cells expand on their first click and cancel it, links included:
  // a result IRI follows at the first click (kg.css lets it take the click); a click beside
  // it still expands the cell.
  document.getElementById("yasgui").addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.iri");
    if (link && link.closest(".expandable:not(.expanded)")) { event.stopPropagation(); }
  }, true);
  new MutationObserver(function () {
    var root = document.getElementById("yasgui");
    localise(root);
    repair(root);
  })
    .observe(document.getElementById("yasgui"), { childList: true, subtree: true });

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    populateFromUrl: false,
    persistenceId: null,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: config.endpoint }]; } },
  });

  function show(text) { yasgui.getTab().setQuery(text); }
  show(config.query || blank);

  // The examples form only picks a query; it is never submitted (no inline handler: CSP).
  document.querySelector("form.examples").addEventListener("submit", function (event) {
    event.preventDefault();
  });
  var select = document.getElementById("example");
  select.addEventListener("change", function () {
    if (select.value && examples[select.value]) { show(examples[select.value]); }
  });
  window.kgYasgui = yasgui;
})();
