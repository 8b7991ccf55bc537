// 疑点筛查 pages. A static file, not inline script: the Content-Security-Policy allows only
// the platform's own scripts (script-src 'self').
(function () {
  "use strict";
  // Start page: 全选 / 全不选 the rules of a run.
  document.querySelectorAll("[data-rules]").forEach(function (button) {
    button.addEventListener("click", function () {
      var on = button.dataset.rules === "all";
      document.querySelectorAll("input[name=rules]").forEach(function (box) { box.checked = on; });
    });
  });
  // Run page while the run is going: reload once the progress fragment is gone (run finished).
  if (document.querySelector("#run-progress")) {
    document.body.addEventListener("htmx:afterSwap", function () {
      if (!document.querySelector("#run-progress")) { location.reload(); }
    });
  }
})();
