// The delay review's two charts, from the figures the page also shows as tables
// (Chart.js, vendored in static/vendor). Without JavaScript the tables remain.
(function () {
  "use strict";
  const source = document.getElementById("review-charts");
  if (!source || typeof Chart === "undefined") return;
  const charts = JSON.parse(source.textContent);
  const draw = (id, rows, colour) => {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    canvas.dataset.drawn = "true";
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map((r) => r[0]),
        datasets: [{ label: canvas.getAttribute("aria-label"), data: rows.map((r) => r[1]), backgroundColor: colour }],
      },
      options: {
        animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  };
  draw("chart-week", charts.week, "#0d6efd");
  draw("chart-cause", charts.cause, "#b02a37");
})();
