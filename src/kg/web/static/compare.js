// Progressive enhancement of the "add a method" boxes: suggestions while typing.
// Without JavaScript the form still works: the server resolves the typed label or id.
"use strict";
(function () {
  for (const input of document.querySelectorAll("input[data-autocomplete]")) {
    const list = document.getElementById(input.getAttribute("list"));
    let pending = null;
    input.addEventListener("input", () => {
      const text = input.value.trim();
      if (pending) { pending.abort(); }
      if (text.length < 2) { list.replaceChildren(); return; }
      pending = new AbortController();
      const url = new URL(input.dataset.autocomplete, window.location.href);
      url.searchParams.set("q", text);
      fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
        .then((response) => response.ok ? response.json() : { methods: [] })
        .then((data) => {
          list.replaceChildren(...data.methods.map((method) => {
            const option = document.createElement("option");
            option.value = method.label;
            option.dataset.id = method.id;
            return option;
          }));
        })
        .catch(() => {});
    });
  }
})();
