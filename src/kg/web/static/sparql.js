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
