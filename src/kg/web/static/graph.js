// Draws the list of links of a .method-graph section (method and comparison pages) as a
// graph with Cytoscape.js (served from node_modules at /assets/cytoscape/). Without
// JavaScript, or without Cytoscape, the list is the picture.
(function () {
  "use strict";
  var cytoscape = window.cytoscape;
  if (typeof cytoscape !== "function") { return; }
  // Cytoscape adds a <style> element unless one with this id exists; the CSP forbids inline
  // styles, and kg.css already positions the container.
  if (!document.getElementById("__________cytoscape_stylesheet")) {
    var marker = document.createElement("meta");
    marker.id = "__________cytoscape_stylesheet";
    document.head.appendChild(marker);
  }
  var css = window.getComputedStyle(document.documentElement);
  var ink = css.getPropertyValue("--ink").trim() || "#1a1a1a";
  var accent = css.getPropertyValue("--accent").trim() || "#0b5cad";
  var line = css.getPropertyValue("--muted").trim() || "#52595f";
  document.querySelectorAll(".method-graph").forEach(function (section) {
    var canvas = section.querySelector(".graph-canvas");
    if (!canvas) { return; }
    var nodes = {}, elements = [];
    section.querySelectorAll("[data-node]").forEach(function (a) {
      var iri = a.getAttribute("data-node");
      if (!nodes[iri]) {
        nodes[iri] = true;
        elements.push({ group: "nodes", data: { id: iri, label: a.textContent,
          href: a.getAttribute("href") || "" }, classes: a.hasAttribute("data-focus") ? "focus" : "" });
      }
    });
    section.querySelectorAll("li[data-source]").forEach(function (li, i) {
      elements.push({ group: "edges", data: { id: "e" + i, source: li.getAttribute("data-source"),
        target: li.getAttribute("data-target") }, classes: li.getAttribute("data-kind") });
    });
    canvas.hidden = false;
    var cy = cytoscape({
      container: canvas,
      elements: elements,
      layout: { name: "cose", animate: false, randomize: false },
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 11, color: ink,
          "background-color": line, width: 12, height: 12, "text-valign": "bottom" } },
        { selector: "node.focus", style: { "background-color": accent, width: 18, height: 18,
          "font-weight": "bold" } },
        { selector: "edge", style: { width: 1.5, "line-color": line, "curve-style": "bezier" } },
        { selector: "edge.broader", style: { "target-arrow-shape": "triangle",
          "target-arrow-color": line, "line-style": "dashed" } }
      ]
    });
    cy.on("tap", "node", function (event) {
      var href = event.target.data("href");
      if (href) { window.location.assign(href); }
    });
    var details = section.querySelector("details.graph-links");
    if (details) { details.open = false; }
  });
})();
