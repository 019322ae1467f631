// Live progress of running runs: poll each [data-progress] endpoint and update its fields.
// The only script of the explorer; it reads JSON and writes text (textContent), never HTML.
(function () {
  "use strict";
  var INTERVAL_MS = Number(document.documentElement.dataset.poll || 2000);

  function duration(s) {
    if (s === null || s === undefined) { return "—"; }
    if (s < 1) { return Math.round(s * 1000) + " ms"; }
    if (s < 60) { return s.toFixed(1) + " s"; }
    if (s < 3600) { return Math.floor(s / 60) + " min " + String(Math.floor(s % 60)).padStart(2, "0") + " s"; }
    return Math.floor(s / 3600) + " h " + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + " min";
  }

  function set(box, field, text) {
    var el = box.querySelector('[data-field="' + field + '"]');
    if (el) { el.textContent = text; }
  }

  function update(box, p) {
    set(box, "done", p.done.toLocaleString("en-US"));
    set(box, "n_cases", p.n_cases.toLocaleString("en-US"));
    set(box, "errors", p.errors.toLocaleString("en-US"));
    set(box, "rate", p.rate === null ? "—" : p.rate.toFixed(1) + "/s");
    set(box, "eta", duration(p.eta_s));
    var bar = box.querySelector("progress");
    if (bar) { bar.max = p.n_cases || 1; bar.value = Math.min(p.done, p.n_cases); }
    box.dataset.status = p.status;
    var row = box.closest("[data-run]");
    if (row) { set(row, "status", p.status); }
  }

  function poll(box) {
    fetch(box.dataset.progress, {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { return; }
        update(box, p);
        if (p.finished) {
          if (document.body.dataset.reloadOnFinish !== undefined || !box.closest("[data-run]")) {
            window.location.reload();
          }
          return;
        }
        window.setTimeout(function () { poll(box); }, INTERVAL_MS);
      })
      .catch(function () { window.setTimeout(function () { poll(box); }, INTERVAL_MS * 2); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-progress]").forEach(function (box) {
      window.setTimeout(function () { poll(box); }, INTERVAL_MS);
    });
  });
})();
