// The import's progress bar, updated without reloading while the import runs;
// once it is done the page reloads once to show the refused orders, if any.
(function () {
  "use strict";
  const box = document.querySelector("[data-import-progress]");
  if (!box || box.dataset.status === "done") return;
  const bar = box.querySelector("[data-bar]");
  const meter = box.querySelector("[role=progressbar]");
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((job) => {
        if (!job) return setTimeout(poll, 3000);
        bar.style.width = job.percent + "%";
        meter.setAttribute("aria-valuenow", String(job.percent));
        for (const el of box.querySelectorAll("[data-n]")) el.textContent = String(job[el.dataset.n]);
        box.querySelector("[data-status-label]").textContent = job.status_label;
        if (job.status === "done") window.location.reload();
        else setTimeout(poll, 1000);
      })
      .catch(() => setTimeout(poll, 3000));
  }
  setTimeout(poll, 500);
})();
