/* Render every chart on the page from its JSON spec block; Vega runs with the CSP-safe interpreter (no eval). */
(function () {
  "use strict";
  function render(el) {
    var block = document.getElementById(el.getAttribute("data-spec"));
    if (!block || !window.vegaEmbed) { return; }
    var spec;
    try { spec = JSON.parse(block.textContent); } catch (e) { el.textContent = "chart data could not be read"; return; }
    window.vegaEmbed(el, spec, {
      actions: false, renderer: "svg", ast: true, defaultStyle: false, tooltip: { disableDefaultStyle: true },
      expr: window.vegaInterpreter.expressionInterpreter
    }).then(function () { el.setAttribute("data-rendered", "1"); })
      .catch(function (err) { el.setAttribute("data-error", "1"); el.textContent = "chart failed: " + err; });
  }
  document.querySelectorAll(".chart[data-spec]").forEach(render);
})();
