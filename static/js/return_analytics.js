// The returns analytics' two charts, from the figures the page also shows as
// tables (Chart.js, vendored in static/vendor). Without JavaScript the tables remain.
(function () {
  "use strict";
  const source = document.getElementById("return-charts");
  if (!source || typeof Chart === "undefined") return;
  const charts = JSON.parse(source.textContent);
  const week = document.getElementById("chart-returns-week");
  if (week) {
    week.dataset.drawn = "true";
    new Chart(week, {
      type: "bar",
      data: {
        labels: charts.week.map((r) => r[0]),
        datasets: [
          { label: week.dataset.requested, data: charts.week.map((r) => r[1]), backgroundColor: "#0d6efd" },
          { label: week.dataset.refunded, data: charts.week.map((r) => r[2]), backgroundColor: "#198754" },
        ],
      },
      options: { animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  const reason = document.getElementById("chart-returns-reason");
  if (reason) {
    reason.dataset.drawn = "true";
    new Chart(reason, {
      type: "bar",
      data: {
        labels: charts.reason.map((r) => r[0]),
        datasets: [{ label: reason.getAttribute("aria-label"), data: charts.reason.map((r) => r[1]), backgroundColor: "#b02a37" }],
      },
      options: {
        animation: false,
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }
})();
