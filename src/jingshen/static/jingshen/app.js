// Behaviour every page shares. A static file, not inline script: the Content-Security-Policy
// allows only the platform's own scripts (script-src 'self').
(function () {
  "use strict";
  // A form with data-confirm asks before it is sent (e.g. 重置密码).
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
