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
