// Small comforts for the pages that load scripts anyway (method, comparison); everything
// works without them. The header's menu and the provenance markers (<details>) close on
// Escape or a click elsewhere, as a menu is expected to.
(function () {
  "use strict";
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open], details.prov[open]").forEach(function (d) {
      if (d !== except && !d.contains(except)) { d.removeAttribute("open"); }
    });
  }
  document.addEventListener("click", function (event) {
    var inside = event.target.closest && event.target.closest("details.menu, details.prov");
    closeMenus(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.activeElement && document.activeElement.closest &&
      document.activeElement.closest("details[open]");
    closeMenus(null);
    if (open) { var s = open.querySelector("summary"); if (s) { s.focus(); } }
  });
})();
