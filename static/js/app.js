// Behaviour shared by every page. No inline scripts anywhere (a strict Content Security Policy
// stays possible): pages carry chart data in json_script tags, and this file draws them
// whenever htmx loads content, the first page load included.
"use strict";

(function () {
  var plotConfig = { responsive: true, displaylogo: false };

  function drawCharts(root) {
    if (typeof Plotly === "undefined") return;
    var charts = Array.prototype.slice.call(root.querySelectorAll("[data-chart]"));
    if (root.matches && root.matches("[data-chart]")) charts.push(root);
    charts.forEach(function (element) {
      var source = document.getElementById(element.dataset.chart);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      Plotly.react(element, figure.data, figure.layout, plotConfig).then(function () {
        element.dataset.drawn = "true";
      });
    });
  }

  htmx.onLoad(drawCharts);
})();
