// Import job progress: polls the job's progress and updates the page; reloads it when the
// job has finished so the result is shown. Without it the page shows a link to refresh by hand.
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("job-bar");
  var text = document.getElementById("job-text");
  function seconds(s) {
    if (s === null || s === undefined) { return "估算中"; }
    if (s < 60) { return s + " 秒"; }
    return Math.floor(s / 60) + " 分 " + (s % 60) + " 秒";
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { return; }
        if (p.finished) { window.location.reload(); return; }
        if (p.percent !== null) { bar.value = p.percent; }
        text.textContent = p.stage_label +
          (p.percent !== null ? " · " + p.percent + "%" : "") +
          " · 已读 " + p.rows_read + " 行 · 已写入 " + p.rows_stored + " 行 · " +
          p.rows_per_second + " 行/秒 · 预计剩余 " + seconds(p.seconds_left);
        window.setTimeout(tick, 1000);
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  tick();
})();
