// Order entry, made quicker with JavaScript (the page works without it):
// known customers are found as you type, and picking one fills the form.
(function () {
  "use strict";
  const search = document.querySelector("[data-customer-search]");
  const results = document.getElementById("customer-matches");
  const entry = document.querySelector("[data-order-entry]");
  if (!search || !results || !entry) return;
  const input = search.querySelector("input[name=find]");
  let timer = null;
  let asked = "";

  function find() {
    const term = input.value.trim();
    if (term === asked) return;
    asked = term;
    fetch(search.dataset.url + "?find=" + encodeURIComponent(term), {
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then((response) => (response.ok ? response.text() : ""))
      .then((html) => {
        if (term === asked) results.innerHTML = html;
      })
      .catch(() => {}); // the Find button still works
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(find, 250);
  });

  results.addEventListener("click", (event) => {
    const link = event.target.closest("[data-pick-customer]");
    if (!link) return;
    event.preventDefault();
    for (const field of ["email", "name", "phone", "address", "country"]) {
      const box = entry.querySelector("[name=" + field + "]");
      if (box) box.value = link.dataset[field] || "";
    }
    results.innerHTML = "";
    const first = entry.querySelector("[name=reference]") || entry.querySelector("input, select");
    if (first) first.focus();
  });
})();

// Lines: add one without a page reload, remove any; the total follows as you type.
(function () {
  "use strict";
  const entry = document.querySelector("[data-order-entry]");
  if (!entry) return;
  const count = entry.querySelector("[name=lines-TOTAL_FORMS]");
  const rows = entry.querySelector("fieldset tbody");
  const slot = document.getElementById("quote-slot");
  if (!count || !rows) return;

  function removable(row) {
    const cell = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-secondary";
    button.textContent = entry.dataset.removeLabel || "Remove";
    button.addEventListener("click", () => {
      for (const box of row.querySelectorAll("input")) box.value = "";
      row.hidden = true;
      quoteSoon();
    });
    cell.appendChild(button);
    row.appendChild(cell);
  }
  const head = rows.closest("table").querySelector("thead tr");
  if (head) {
    const th = document.createElement("th");
    th.scope = "col";
    th.innerHTML = '<span class="visually-hidden"></span>';
    th.firstChild.textContent = entry.dataset.removeLabel || "Remove";
    head.appendChild(th);
  }
  rows.querySelectorAll("tr").forEach(removable);

  const add = document.createElement("button");
  add.type = "button";
  add.className = "btn btn-sm btn-outline-secondary mb-3";
  add.dataset.addLine = "";
  add.textContent = entry.dataset.addLabel || "Add a line";
  add.addEventListener("click", () => {
    const index = Number(count.value);
    const row = rows.querySelector("tr").cloneNode(true);
    row.hidden = false;
    row.querySelectorAll("td:last-child button").forEach((b) => b.closest("td").remove());
    for (const el of row.querySelectorAll("[name], [id], [for]")) {
      for (const attr of ["name", "id", "for"]) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(/lines-\d+-/, "lines-" + index + "-"));
      }
    }
    row.querySelectorAll("input").forEach((box) => (box.value = ""));
    row.querySelectorAll("label").forEach((label) => {
      label.textContent = label.textContent.replace(/\d+\s*$/, String(index + 1));
    });
    row.querySelectorAll(".invalid-feedback").forEach((e) => e.remove());
    rows.appendChild(row);
    removable(row);
    count.value = String(index + 1);
    row.querySelector("input").focus();
  });
  rows.closest(".table-responsive").after(add);

  // The total as saving would charge it, asked of the page itself ("Show the total").
  let timer = null;
  function quoteSoon() {
    clearTimeout(timer);
    timer = setTimeout(quote, 600);
  }
  function quote() {
    if (!slot) return;
    const filled = [...entry.querySelectorAll("[name$=-sku]")].some((box) => box.value.trim());
    if (!filled || !entry.querySelector("[name=email]").value.trim()) return;
    const data = new FormData(entry);
    data.set("preview", "1");
    data.delete("save");
    fetch(entry.action || window.location.href, { method: "POST", body: data, credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : ""))
      .then((html) => {
        const page = new DOMParser().parseFromString(html, "text/html");
        const fresh = page.getElementById("quote-slot");
        if (fresh) slot.innerHTML = fresh.innerHTML;
      })
      .catch(() => {}); // "Show the total" still works
  }
  entry.addEventListener("input", quoteSoon);
})();

// SKU suggestions for a catalogue larger than the page lists: asked as you type.
(function () {
  "use strict";
  const list = document.getElementById("skus");
  if (!list || !list.dataset.url) return;
  let timer = null;
  let asked = "";
  document.addEventListener("input", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches("input[list=skus]")) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const term = box.value.trim();
      if (term === asked || term.length < 2) return;
      asked = term;
      fetch(list.dataset.url + "?sku=" + encodeURIComponent(term), { credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : ""))
        .then((html) => {
          if (html && term === asked) list.innerHTML = html;
        })
        .catch(() => {});
    }, 200);
  });
})();
