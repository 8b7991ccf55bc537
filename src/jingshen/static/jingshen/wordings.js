// 常用问题定性表述 on the finding form (templates/knowledge/wording_offer.html): show the wordings
// of the chosen problem type, and fill 问题描述 / 定性依据 / 审计建议 from one. A static file: the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  function fill(id, text) {
    var field = document.getElementById(id);
    if (!field || !text) { return; }
    var current = field.value.replace(/\s+$/, "");
    if (!current) { field.value = text; } else if (current.indexOf(text) === -1) { field.value = current + "\n" + text; }
  }
  function init() {
    var offer = document.getElementById("wording-offer");
    if (!offer) { return; }
    var type = document.getElementById("f-type");
    function show() {
      var chosen = type ? type.value : "";
      var any = false;
      offer.querySelectorAll("li[data-problem-type]").forEach(function (item) {
        var on = item.dataset.problemType === chosen;
        item.hidden = !on;
        any = any || on;
      });
      var none = offer.querySelector(".kb-none");
      if (none) { none.hidden = any; }
    }
    if (type) { type.addEventListener("change", show); show(); }
    offer.addEventListener("click", function (event) {
      var button = event.target.closest("button.kb-fill");
      if (!button) { return; }
      fill("f-desc", button.dataset.wording);
      fill("f-basis", button.dataset.basis);
      fill("f-rec", button.dataset.recommendation);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
