// Servanda's pages: live updates from the room's event stream, and the plots.
// Signing in the browser lives in signing.js (loaded by the drafting and signing page).
"use strict";

// Every event of the room tells the page's live parts to reload ("room-event").
function followRoom() {
  const live = document.querySelector("[data-stream]");
  if (!live || live.dataset.following) return;
  live.dataset.following = "1";
  const source = new EventSource(live.dataset.stream);  // the browser resumes with Last-Event-ID
  let pending = null;
  const tell = () => {  // one reload for a burst of events
    if (pending) return;
    pending = setTimeout(() => { pending = null; htmx.trigger(document.body, "room-event"); }, 50);
  };
  // the stream names each event by its type; the page lists them (servanda.rooms.views.EVENT_TYPES)
  live.dataset.events.split(" ").forEach((type) => source.addEventListener(type, tell));
}

// Plots: a <script type="application/json" id="NAME-data"> beside <div id="NAME" class="plot">.
const PLOTS = {
  dance(data) {
    const traces = Object.entries(data.traces).map(([party, t]) => ({
      x: t.x, y: t.y, text: t.text, name: party === data.party ? `${party} (you)` : party,
      mode: "lines+markers", type: "scatter", hovertemplate: "%{text}<br>your utility %{y:.3f}<extra></extra>",
    }));
    const shapes = data.reservation == null ? [] : [{
      type: "line", xref: "paper", x0: 0, x1: 1, y0: data.reservation, y1: data.reservation,
      line: { dash: "dot", color: "#a4161a" },
    }];
    return { traces, layout: { xaxis: { title: { text: "event" } }, yaxis: { title: { text: "your utility" }, range: [0, 1.05] },
                               shapes, margin: { t: 10, r: 10 }, legend: { orientation: "h" } } };
  },
};

function drawPlots(root) {
  if (typeof Plotly === "undefined") return;
  root.querySelectorAll(".plot").forEach((element) => {
    const source = document.getElementById(`${element.id}-data`);
    const draw = PLOTS[element.dataset.plot || element.id];
    if (!source || !draw) return;
    const { traces, layout } = draw(JSON.parse(source.textContent));
    Plotly.react(element, traces, { autosize: true, ...layout }, { responsive: true, displaylogo: false });
  });
}

window.Servanda = { PLOTS: Object.assign(PLOTS, (window.Servanda || {}).PLOTS), drawPlots };  // keeps plots registered before
document.addEventListener("DOMContentLoaded", () => { followRoom(); drawPlots(document); });
// A refused request's message (4xx, 5xx: the server retargets it to #messages) is shown,
// where htmx by default would drop it.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status >= 400 && event.detail.xhr.getResponseHeader("HX-Retarget")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
document.addEventListener("htmx:afterSettle", (event) => {
  drawPlots(event.target);
  // A new phase (agreement, end) changes what the page offers: load it anew.
  const live = event.target.closest && event.target.closest("[data-stream]");
  const phase = live && live.querySelector("[data-phase]");
  if (phase && live.dataset.phase && phase.dataset.phase !== live.dataset.phase) window.location.reload();
});
