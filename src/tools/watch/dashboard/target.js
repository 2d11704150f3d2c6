// A target's smoke graphs (SmokePing's picture) drawn by Chart.js from
// /api/v1/targets/NAME/series: grey bands between RTT quantiles, the median coloured by loss,
// lost rounds at the bottom, events as triangles at the top. Drag to zoom, double-click back.
"use strict";
(function () {
  const target = document.body.dataset.target;
  const pad = (n) => String(n).padStart(2, "0");
  function tick(span) {
    return (v) => {
      const d = new Date(v * 1000);
      const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
      if (span <= 900) return `${hm}:${pad(d.getUTCSeconds())}`;
      if (span <= 2 * 86400) return hm;
      const md = `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
      return span <= 20 * 86400 ? `${md} ${hm}` : md;
    };
  }
  const full = (v) => new Date(v * 1000).toISOString().slice(0, 19).replace("T", " ") + " UTC";
  // A tick every "round" interval: about 6 to 12 ticks across the window.
  function step(span) {
    const steps = [10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400, 172800, 604800, 2592000];
    return steps.find((s) => span / s <= 12) || 2592000;
  }
  function datasets(s) {
    const q = s.quantiles.length, mid = (q - 1) / 2, ds = [];
    for (let k = 0; k < q; k++) {
      const alpha = k === 0 ? 0 : Math.max(0.08, 0.55 - 0.09 * Math.abs(k - 0.5 - mid));
      ds.push({
        label: "q" + s.quantiles[k], data: s.points.map((p) => ({ x: p.t, y: p.smoke ? p.smoke[k] * 1000 : null })),
        borderWidth: 0, pointRadius: 0, fill: k === 0 ? false : "-1", backgroundColor: `rgba(90,90,90,${alpha})`,
        spanGaps: false, order: 3,
      });
    }
    const withMedian = s.points.filter((p) => p.median !== undefined);
    ds.push({
      label: "median", data: withMedian.map((p) => ({ x: p.t, y: p.median * 1000, p })), borderWidth: 2,
      pointRadius: 1.5, pointBackgroundColor: withMedian.map((p) => p.colour),
      pointBorderColor: withMedian.map((p) => p.colour),
      segment: { borderColor: (c) => withMedian[c.p1DataIndex].colour }, order: 1,
    });
    const lost = s.points.filter((p) => p.median === undefined && p.sent > 0);
    ds.push({
      label: "lost", type: "scatter", data: lost.map((p) => ({ x: p.t, y: 0, p })), pointStyle: "rectRot",
      pointRadius: 3, backgroundColor: "#ff0000", borderColor: "#ff0000", order: 0,
    });
    return { ds, withMedian: withMedian.length, lost: lost.length };
  }
  function eventSet(s, top) {
    const colour = (e) => (e.to === "down" || e.type === "firing" || e.type === "flapping" ? "#c00" : "#080");
    return {
      label: "events", type: "scatter", data: s.events.map((e) => ({ x: e.t, y: top, e })),
      pointStyle: "triangle", pointRadius: 6, backgroundColor: s.events.map(colour),
      borderColor: s.events.map(colour), order: 0,
    };
  }
  function label(c) {
    const r = c.raw;
    if (r.e) return `${r.e.type}${r.e.alert ? " " + r.e.alert : ""}: ${r.e.from} → ${r.e.to}${r.e.reason ? " (" + r.e.reason + ")" : ""}`;
    if (r.p) return `median ${(r.p.median * 1000 || 0).toFixed(3)} ms, loss ${(r.p.loss * 100).toFixed(1)} % ` +
      `(${r.p.received}/${r.p.sent}, ${r.p.rounds} rounds, ${r.p.resolution})`;
    return null;
  }
  function graph(section) {
    const range = section.dataset.range, canvas = section.querySelector("canvas");
    const info = section.querySelector(".info");
    let chart = null, dragFrom = null;
    async function draw(from, to) {
      let url = `/api/v1/targets/${encodeURIComponent(target)}/series?range=${range}`;
      if (from !== undefined) url += `&from=${from}&to=${to}`;
      let s;
      try {
        const res = await fetch(url, { cache: "no-store" });
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        s = await res.json();
      } catch (e) {
        info.textContent = "could not load: " + e.message;
        return;
      }
      const { ds, withMedian, lost } = datasets(s);
      let top = 0;
      for (const p of s.points) if (p.smoke) top = Math.max(top, p.smoke[p.smoke.length - 1] * 1000);
      if (top === 0) top = 1;
      ds.push(eventSet(s, top * 1.05));
      if (chart) chart.destroy();
      chart = new Chart(canvas, {
        type: "line", data: { datasets: ds },
        options: {
          animation: false, maintainAspectRatio: false, normalized: true,
          interaction: { mode: "nearest", intersect: false },
          scales: {
            x: {
              type: "linear", min: s.from, max: s.to, ticks: { callback: tick(s.to - s.from), maxRotation: 0 },
              afterBuildTicks: (axis) => {  // on whole steps of UTC time, not from the window's start
                const st = step(axis.max - axis.min);
                axis.ticks = [];
                for (let v = Math.ceil(axis.min / st) * st; v <= axis.max; v += st) axis.ticks.push({ value: v });
              },
            },
            y: { beginAtZero: true, title: { display: true, text: "RTT (ms)" } },
          },
          plugins: {
            legend: { display: false },
            tooltip: { filter: (c) => label(c) !== null, callbacks: { label, title: (c) => (c.length ? full(c[0].raw.x) : "") } },
          },
        },
      });
      canvas.dataset.points = String(withMedian);
      canvas.dataset.lost = String(lost);
      canvas.dataset.events = String(s.events.length);
      section.dataset.ready = String(Number(section.dataset.ready || 0) + 1);
      const res = s.points.length ? s.points[0].resolution : "none";
      const n = (k, word) => `${k} ${word}${k === 1 ? "" : "s"}`;
      info.textContent = `${n(s.points.length, "point")} (${res}), ${n(s.events.length, "event")}` +
        (from !== undefined ? " · zoomed: double-click to go back" : "");
    }
    canvas.addEventListener("mousedown", (e) => { dragFrom = e.offsetX; });
    canvas.addEventListener("mouseup", (e) => {
      if (chart === null || dragFrom === null || Math.abs(e.offsetX - dragFrom) < 8) return;
      const x = chart.scales.x, at = (px) => Math.min(x.max, Math.max(x.min, x.getValueForPixel(px)));
      const a = at(Math.min(dragFrom, e.offsetX)), b = at(Math.max(dragFrom, e.offsetX));
      dragFrom = null;
      draw(Math.floor(a), Math.ceil(b));
    });
    canvas.addEventListener("dblclick", () => draw());
    draw();
  }
  document.querySelectorAll("section.graph").forEach(graph);

  // The path: the last path seen while up beside the last trace, TTL by TTL from the API's diff
  // (or the one path there is), the hops that differ marked; "Trace now" POSTs and then polls
  // until the new trace is in (at most 40 s: a trace ends within 20 s).
  const section = document.getElementById("path");
  if (!section) return;
  const api = section.dataset.api, body = section.querySelector("#hops tbody");
  const info = document.getElementById("path-info"), button = document.getElementById("trace");
  const hop = (a, also) => (a === null || a === undefined ? "*" : a) + (also && also.length ? " + " + also.join(", ") : "");
  const when = (p) => (p ? `${p.state} at ${full(p.time)}, ${p.protocol}${p.port ? " port " + p.port : ""}` +
    `${p.mda ? " (MDA)" : ""}${p.reached ? "" : ", did not reach the target"}` : "none yet");
  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  function rows(j) {
    if (j.diff.length) return j.diff.map((d) => ({ ttl: d.ttl, before: hop(d.before, d.before_also), after: hop(d.after, d.after_also), change: d.change, changed: d.changed }));
    const only = j.latest_path || j.up_path;  // nothing to compare yet
    return only ? only.hops.map((h) => ({ ttl: h.ttl, before: j.up_path ? hop(h.addr, h.also) : "", after: j.latest_path ? hop(h.addr, h.also) : "", change: "", changed: false })) : [];
  }
  let shown = null;  // the time of the latest trace on screen
  async function load() {
    const res = await fetch(api, { cache: "no-store" });
    const j = await res.json();
    if (!res.ok) throw new Error(j.error || `HTTP ${res.status}`);
    body.replaceChildren();
    for (const r of rows(j)) {
      const tr = document.createElement("tr");
      tr.dataset.ttl = String(r.ttl);
      if (r.changed) tr.className = "changed";
      cell(tr, String(r.ttl), "num");
      cell(tr, r.before, "addr");
      cell(tr, r.after, "addr");
      cell(tr, r.change, "change");
      body.appendChild(tr);
    }
    shown = j.latest_path ? j.latest_path.time : null;
    section.dataset.changed = String(j.changed);
    section.dataset.tracing = String(j.tracing);
    section.dataset.ready = String(Number(section.dataset.ready || 0) + 1);
    info.textContent = `up path: ${when(j.up_path)} · last trace: ${when(j.latest_path)}` +
      (j.changed ? " · the path changed" : "") + (j.tracing ? " · tracing…" : "");
    return j;
  }
  section.querySelector("form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      const before = shown;
      const res = await fetch(api, { method: "POST" });
      if (res.status !== 202) throw new Error((await res.json()).error || `HTTP ${res.status}`);
      info.textContent = "tracing…";
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const j = await load();
        if (!j.tracing && j.latest_path && j.latest_path.time !== before) break;
      }
    } catch (e) {
      info.textContent = "trace: " + e.message;
    } finally {
      button.disabled = false;
    }
  });
  load().catch((e) => { info.textContent = "could not load the path: " + e.message; });
})();
