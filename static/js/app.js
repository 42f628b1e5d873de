// Behaviour shared by every page. No inline scripts anywhere (a strict Content Security Policy
// stays possible): pages carry chart data in json_script tags, and this file draws them
// whenever htmx loads content, the first page load included.
"use strict";

(function () {
  // Plotly's own toolbar downloads a PNG; one more button downloads an SVG.
  var plotConfig = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToAdd: [
      {
        name: "Download as SVG",
        icon: { width: 1000, height: 1000, path: "M500 0 L1000 500 L750 500 L750 1000 L250 1000 L250 500 L0 500 Z", transform: "matrix(1 0 0 -1 0 1000)" },
        click: function (graph) { Plotly.downloadImage(graph, { format: "svg", filename: "chart" }); },
      },
    ],
  };

  // On a figure whose layout.meta.clickable is an address with "{id}" in it, clicking a
  // marker opens that address for the id the marker's customdata starts with.
  function followClicks(element, address) {
    if (element.dataset.clicks) return;
    element.dataset.clicks = "true";
    element.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      var id = point && point.customdata && point.customdata[0];
      if (typeof id === "number") window.location.assign(address.replace("{id}", String(id)));
    });
  }

  function drawCharts(root) {
    if (typeof Plotly === "undefined") return;
    var charts = Array.prototype.slice.call(root.querySelectorAll("[data-chart]"));
    if (root.matches && root.matches("[data-chart]")) charts.push(root);
    charts.forEach(function (element) {
      var source = document.getElementById(element.dataset.chart);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      Plotly.react(element, figure.data, figure.layout, plotConfig).then(function () {
        if (figure.layout.meta && figure.layout.meta.clickable) {
          followClicks(element, figure.layout.meta.clickable);
        }
        element.dataset.drawn = "true";
      });
    });
  }

  htmx.onLoad(drawCharts);
})();
