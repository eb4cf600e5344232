// The analysis plots of the mediator's page and the debrief: the utility space of two parties
// (as GENIUS's bid chart) and each party's result against the efficient frontier. Registered in
// Servanda.PLOTS, whichever of this file and servanda.js runs first (servanda.js merges them).
"use strict";

(() => {
  const servanda = window.Servanda = window.Servanda || {};
  const plots = servanda.PLOTS = servanda.PLOTS || {};
  const RED = "#a4161a";
  const FRONTIER = "#1f4e79";

  // Every outcome (or a sample), the Pareto frontier, Nash and Kalai-Smorodinsky, the
  // reservation values, each side's offers in order and, in a debrief, the result.
  plots.utility_space = (data) => {
    const [a, b] = data.parties;
    const hover = `${a} %{x:.3f}<br>${b} %{y:.3f}`;
    const traces = [];
    const cloud = (points, name, color) => {
      if (points.x.length) {
        traces.push({ x: points.x, y: points.y, name, type: "scatter", mode: "markers", hoverinfo: "skip",
                      marker: { size: 4, color, opacity: 0.55 } });
      }
    };
    cloud(data.outcomes, data.sampled ? "outcomes (a sample)" : "outcomes", "#9aa5b1");
    cloud(data.blocked, "break a red line", "#f4a3a3");
    if (data.frontier.x.length) {
      traces.push({ x: data.frontier.x, y: data.frontier.y, type: "scatter", mode: "lines+markers",
                    name: data.red_lines_respected ? "Pareto frontier" : "Pareto frontier (red lines dropped)",
                    line: { color: FRONTIER, width: 2 }, marker: { size: 5, color: FRONTIER },
                    hovertemplate: `frontier<br>${hover}<extra></extra>` });
    }
    Object.entries(data.traces).forEach(([party, t]) => {
      traces.push({ x: t.x, y: t.y, text: t.text, type: "scatter", mode: "lines+markers", name: `offers by ${party}`,
                    marker: { size: 8 }, hovertemplate: `%{text}<br>${hover}<extra></extra>` });
    });
    const solutions = { nash: ["Nash", "star", 18, "#f5a623"], kalai_smorodinsky: ["Kalai-Smorodinsky", "diamond", 13, "#6a3d9a"] };
    Object.entries(solutions).forEach(([key, [name, symbol, size, color]]) => {
      const point = data.solutions[key];
      if (point) {
        traces.push({ x: [point[0]], y: [point[1]], name, type: "scatter", mode: "markers",
                      marker: { symbol, size, color, line: { color: "#000", width: 1 } },
                      hovertemplate: `${name}<br>${hover}<extra></extra>` });
      }
    });
    if (data.result) {
      traces.push({ x: [data.result.x], y: [data.result.y], name: `the ${data.result.label}`, type: "scatter", mode: "markers",
                    marker: { symbol: "x", size: 14, color: "#000" }, hovertemplate: `the ${data.result.label}<br>${hover}<extra></extra>` });
    }
    const [ra, rb] = data.reservations;
    const dashed = { dash: "dash", color: RED, width: 1 };
    const shapes = [
      { type: "line", yref: "paper", x0: ra, x1: ra, y0: 0, y1: 1, line: dashed },
      { type: "line", xref: "paper", x0: 0, x1: 1, y0: rb, y1: rb, line: dashed },
    ];
    return { traces, layout: {
      xaxis: { title: { text: `utility of ${a}` }, zeroline: false },
      yaxis: { title: { text: `utility of ${b}` }, zeroline: false },
      shapes, margin: { t: 10, r: 10 }, legend: { orientation: "h", y: -0.18 }, hovermode: "closest",
    } };
  };

  // One row per party: its reservation value, its utility of the result and the most it could
  // have had on the efficient frontier with no party worse off.
  plots.result_chart = (data) => {
    const rows = data.rows;
    const parties = rows.map((r) => r.party);
    const reach = rows.filter((r) => r.reachable != null && r.reachable > r.utility);
    const traces = [
      { x: rows.map((r) => r.reservation), y: parties, name: "reservation value", type: "scatter", mode: "markers",
        marker: { symbol: "line-ns-open", size: 22, color: RED, line: { width: 3, color: RED } },
        hovertemplate: "%{y}: reservation value %{x:.3f}<extra></extra>" },
    ];
    if (reach.length) {
      traces.push({ x: reach.flatMap((r) => [r.utility, r.reachable, null]), y: reach.flatMap((r) => [r.party, r.party, null]),
                    name: "headroom on the frontier", type: "scatter", mode: "lines", line: { color: FRONTIER, width: 3 },
                    hoverinfo: "skip" });
      traces.push({ x: reach.map((r) => r.reachable), y: reach.map((r) => r.party), name: "best with no one worse off",
                    type: "scatter", mode: "markers", marker: { symbol: "triangle-right", size: 14, color: FRONTIER },
                    hovertemplate: "%{y}: up to %{x:.3f} on the frontier<extra></extra>" });
    }
    traces.push({ x: rows.map((r) => r.utility), y: parties, name: "the result", type: "scatter", mode: "markers",
                  marker: { symbol: "circle", size: 14, color: "#000" }, hovertemplate: "%{y}: %{x:.3f}<extra></extra>" });
    return { traces, layout: {
      xaxis: { title: { text: "utility" }, zeroline: false },
      yaxis: { type: "category", automargin: true },
      height: 170 + 50 * rows.length, margin: { t: 10, r: 10 }, legend: { orientation: "h", y: -0.35 }, hovermode: "closest",
    } };
  };
})();
