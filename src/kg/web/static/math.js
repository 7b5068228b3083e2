// Typesets the TeX of Markdown values (summaries): every .math element that
// kg.services.rich_text made holds its TeX source as text; KaTeX (served from
// node_modules at /assets/katex/, loaded before this script) replaces it with MathML.
// MathML output needs no inline styles, so the pages' policy stays without
// 'unsafe-inline'. Errors are caught here rather than drawn by KaTeX (its error
// node carries a style attribute): the TeX source stays as it is, marked .math-error.
// Without JavaScript, or when KaTeX is missing, the source stays visible too.
"use strict";
(function () {
  const katex = window.katex;
  if (!katex || typeof katex.render !== "function") { return; }
  for (const element of document.querySelectorAll(".rich-text .math")) {
    const tex = element.textContent;
    try {
      katex.render(tex, element, {
        displayMode: element.classList.contains("display"),
        output: "mathml",
        throwOnError: true,
        trust: false,
        strict: "ignore",
        maxExpand: 1000,
        maxSize: 50,
      });
      // display math may scroll sideways: keyboard users must reach it
      if (element.classList.contains("display")) { element.setAttribute("tabindex", "0"); }
    } catch (error) {
      element.textContent = tex;
      element.classList.add("math-error");
      element.title = String(error && error.message || error);
    }
  }
})();
