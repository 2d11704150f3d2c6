// The overview table, refreshed live from /api/v1/overview: sorting and filtering in the page.
// Every value goes in through textContent, never as markup (names come from the config).
"use strict";
(function () {
  const tbody = document.querySelector("#targets tbody");
  const filter = document.getElementById("filter");
  const status = document.getElementById("status");
  const params = new URLSearchParams(location.search);
  let sortKey = params.get("sort") || "name", desc = params.get("desc") === "1", rows = [];
  const stateRank = (s) => (s === "down" ? 0 : s === "unknown" ? 1 : 2);
  const keyOf = {
    name: (r) => r.name, probe: (r) => r.probe, state: (r) => stateRank(r.state), since: (r) => r.since || 0,
    median: (r) => (r.median_rtt_seconds === undefined ? Infinity : r.median_rtt_seconds), loss: (r) => r.loss_ratio,
  };
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const pad = (n) => String(n).padStart(2, "0");
  function since(t) {
    if (!t) return "-";
    const d = new Date(t * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
  }
  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function render() {
    const f = filter.value.toLowerCase();
    const key = keyOf[sortKey] || keyOf.name;
    const shown = rows.filter((r) => r.name.toLowerCase().includes(f))
      .sort((a, b) => (desc ? -1 : 1) * (cmp(key(a), key(b)) || cmp(a.name, b.name)));
    const body = document.createElement("tbody");
    for (const r of shown) {
      const tr = document.createElement("tr");
      tr.className = "state-" + r.state;
      tr.dataset.name = r.name;
      const a = document.createElement("a");
      a.href = "/targets/" + encodeURIComponent(r.name);
      a.textContent = r.name;
      cell(tr, "", "name").appendChild(a);
      cell(tr, r.probe);
      cell(tr, r.state, "state");
      cell(tr, since(r.since));
      cell(tr, r.median_rtt_seconds === undefined ? "-" : (r.median_rtt_seconds * 1000).toFixed(3) + " ms", "num");
      cell(tr, (r.loss_ratio * 100).toFixed(1) + " %", "num");
      cell(tr, r.sparkline, "spark").title = r.reason;
      body.appendChild(tr);
    }
    tbody.replaceChildren(...body.childNodes);
    for (const th of document.querySelectorAll("#targets th[data-key]")) {
      if (th.dataset.key === sortKey) th.setAttribute("aria-sort", desc ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    }
  }
  async function refresh() {
    try {
      const res = await fetch("/api/v1/overview", { cache: "no-store" });
      if (!res.ok) throw new Error("HTTP " + res.status);
      rows = (await res.json()).targets;
      render();
      status.textContent = "updated " + since(Date.now() / 1000);  // UTC, as every time on the page
      document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
    } catch (e) {
      status.textContent = "refresh failed: " + e.message;
    }
    setTimeout(refresh, 5000);
  }
  document.getElementById("controls").addEventListener("submit", (e) => e.preventDefault());
  filter.addEventListener("input", render);
  for (const th of document.querySelectorAll("#targets th[data-key]")) {
    th.addEventListener("click", (e) => {
      e.preventDefault();
      desc = th.dataset.key === sortKey ? !desc : false;
      sortKey = th.dataset.key;
      render();
    });
  }
  refresh();
})();
