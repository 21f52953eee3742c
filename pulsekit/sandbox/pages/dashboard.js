// Loads the vendor's numbers from the api and renders them (the dashboard's heavy read).
(function () {
  const vendor = document.getElementById("vendor").textContent.trim();
  const status = document.getElementById("status");
  const row = (cells, tag) => "<tr>" + cells.map((c) => `<${tag}>${c}</${tag}>`).join("") + "</tr>";
  fetch(`/api/vendors/${vendor}/dashboard`)
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`status ${r.status}`))))
    .then((data) => {
      const t = data.totals;
      document.getElementById("totals").innerHTML =
        row(["Orders", "Units", "Revenue"], "th") +
        row([t.orders, t.units, "$" + (t.revenue_cents / 100).toFixed(2)], "td");
      document.getElementById("top").innerHTML =
        row(["Product", "Units", "Revenue"], "th") +
        data.top.map((p) => row([p.product_id, p.units, "$" + (p.revenue_cents / 100).toFixed(2)], "td")).join("");
      status.textContent = `Updated · ${data.daily.length} active days in the last 30`;
      status.dataset.loaded = "true";
    })
    .catch((err) => {
      status.textContent = "Your numbers could not be loaded: " + err.message;
      status.dataset.loaded = "error";
    });
})();
