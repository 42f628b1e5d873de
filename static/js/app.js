// Behaviour shared by every page. No inline scripts anywhere (a strict Content Security Policy
// stays possible): pages carry chart data in json_script tags, and this file draws them
// whenever htmx loads content, the first page load included.
"use strict";

(function () {
  // The toolbar holds the downloads only: plotly's PNG and one more button for an SVG. Every
  // toolbar button is a Tab stop, and zoom, pan and select did nothing useful on these charts
  // (their axes are fixed, or read best whole) while standing between a keyboard user and
  // the rest of the page.
  var downloadSvg = {
    name: "Download as SVG",
    icon: { width: 1000, height: 1000, path: "M500 0 L1000 500 L750 500 L750 1000 L250 1000 L250 500 L0 500 Z", transform: "matrix(1 0 0 -1 0 1000)" },
    click: function (graph) { Plotly.downloadImage(graph, { format: "svg", filename: "chart" }); },
  };
  var plotConfig = {
    responsive: true,
    displaylogo: false,
    modeBarButtons: [["toImage", downloadSvg]],
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
        // Screen readers would read the drawing's tick labels one by one; the figure's
        // caption says what it shows. The toolbar stays reachable.
        element.querySelectorAll("svg.main-svg").forEach(function (svg) {
          svg.setAttribute("aria-hidden", "true");
        });
        element.dataset.drawn = "true";
      });
    });
  }

  htmx.onLoad(drawCharts);

  // A table wider than its box scrolls sideways inside it (.table-wrap); keyboard users can
  // only scroll what they can focus (WCAG 2.1.1), so a box that scrolls joins the Tab order,
  // named after its table, and leaves it again once everything fits.
  function reachScrollingTables() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) {
          var table = box.querySelector("table");
          var caption = table && (table.getAttribute("aria-label") || (table.caption && table.caption.textContent));
          var section = box.closest("section");
          var heading = section && section.querySelector("h2, h3");
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", (caption || (heading && heading.textContent) || "Table").trim() + " (scrolls sideways)");
        }
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  htmx.onLoad(reachScrollingTables);
  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(reachScrollingTables, 100);
  });

  // Content htmx swaps in may ask for the keyboard focus with data-takes-focus (WCAG 2.4.3): a
  // form opened in place takes it on its first field with an error, else on its first field;
  // any other element (the "Log a meeting" button a save returns to) takes it itself. On a
  // page's first load only a form showing an error does, so a page never steals the focus
  // just for loading. It happens on htmx:afterSwap, in the same task as the swap, so nothing
  // typed into the new content can land elsewhere (htmx:load comes a settle delay later).
  var FIELDS = "input:not([type=hidden]), select, textarea, button";
  var ERROR_FIELDS = ".has-error input:not([type=hidden]), .has-error select, .has-error textarea, [aria-invalid=true]";

  function takeFocus(root, firstLoad) {
    var asking = root.matches("[data-takes-focus]") ? [root] : root.querySelectorAll("[data-takes-focus]");
    for (var i = 0; i < asking.length; i++) {
      var element = asking[i];
      var target = element;
      if (element.tagName === "FORM") {
        target = element.querySelector(ERROR_FIELDS) || (firstLoad ? null : element.querySelector(FIELDS));
      } else if (firstLoad) {
        target = null;
      }
      if (target) {
        target.focus();
        return;
      }
    }
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target instanceof Element && document.body.contains(event.target)) takeFocus(event.target, false);
  });
  takeFocus(document.body, true);

  // htmx leaves the page as it was when a request fails; say so where the user looks, instead
  // of a button that seems to do nothing.
  function showRequestError(message) {
    var main = document.querySelector("main");
    if (!main) return;
    var banner = document.getElementById("request-error");
    if (!banner) {
      banner = document.createElement("p");
      banner.id = "request-error";
      banner.className = "error banner";
      banner.setAttribute("role", "alert");
      main.insertBefore(banner, main.firstChild);
    }
    banner.textContent = message;
    banner.scrollIntoView({ block: "nearest" });
  }

  document.body.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 503) {
      showRequestError("The service is briefly unavailable, so that was not saved. Please try again in a moment.");
    } else if (status === 403) {
      showRequestError("You are not allowed to do that here.");
    } else {
      showRequestError("Something went wrong (error " + status + "), so that was not saved. Please try again.");
    }
  });
  document.body.addEventListener("htmx:sendError", function () {
    showRequestError("The server could not be reached, so that was not saved. Check your connection and try again.");
  });
  // A reminder marked done, snoozed or dismissed: the header's count follows the Today panel.
  document.body.addEventListener("remindersChanged", function (event) {
    var count = document.querySelector("[data-testid=header-today] .count");
    if (count && event.detail && typeof event.detail.count === "number") {
      count.firstChild.textContent = String(event.detail.count);
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var banner = document.getElementById("request-error");
    if (banner && event.detail.successful) banner.remove();
  });
})();
