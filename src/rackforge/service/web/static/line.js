/* rackforge line board: renders the board JSON, keeps it live over server-sent events, and shows
   "stale since hh:mm" (keeping the last state) while the connection is down, reconnecting by itself.
   No library; text only through textContent. */
(function () {
  "use strict";
  var root = document.getElementById("board");
  var only = root.dataset.station || "";
  var streamUrl = root.dataset.stream;
  var SILENCE_MS = 15000;   // the server sends a ping every 5 s; three missed = stale
  var RETRY_MS = 2000;
  var source = null;
  var lastHeard = 0;
  var staleSince = null;
  var cards = {};

  function hhmm(date) {
    return String(date.getHours()).padStart(2, "0") + ":" + String(date.getMinutes()).padStart(2, "0");
  }
  var SLASH = "\u2009/\u2009";  // thin spaces: "0.6 / 7.0" fits a card on a 1280 px panel
  function fmt(value, digits) {
    return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
  }
  function pct(value) {
    return value === null || value === undefined ? "–" : (100 * value).toFixed(0) + "%";
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function figure(card, key, label) {
    var box = el("div", "fig fig-" + key);
    box.appendChild(el("span", "label", label));
    var value = el("span", "value", "–");
    var sub = el("span", "sub", "");
    box.appendChild(value);
    box.appendChild(sub);
    card.querySelector(".figs").appendChild(box);
    card.figs[key] = {box: box, value: value, sub: sub};
  }

  function makeCard(station) {
    var card = el("article", "card");
    card.id = "station-" + station.id;
    card.dataset.station = station.id;
    card.setAttribute("aria-label", station.name);
    var head = el("header", "card-head");
    head.appendChild(el("h2", "sid", station.id));
    var status = el("p", "status", "");
    head.appendChild(status);
    card.appendChild(head);
    card.appendChild(el("p", "sname", station.name));
    card.appendChild(el("div", "figs"));
    card.figs = {};
    card.statusEl = status;
    figure(card, "wip", "In process");
    figure(card, "done", "Done today / plan");
    figure(card, "takt", "Cycle / takt h");
    figure(card, "fpy", "1st-pass yield / model");
    var modes = el("div", "modes");
    modes.appendChild(el("span", "label", "Top failures 24 h"));
    card.modes = el("ol", "mode-list");
    modes.appendChild(card.modes);
    card.appendChild(modes);
    return card;
  }

  function setAbnormal(node, on) {
    node.classList.toggle("abnormal", !!on);
  }

  function renderStation(s) {
    var card = cards[s.id];
    if (!card) {
      card = cards[s.id] = makeCard(s);
      document.getElementById("stations").appendChild(card);
    }
    card.statusEl.textContent = s.status;
    card.dataset.status = s.status;
    card.classList.toggle("down", s.status === "down");
    card.classList.toggle("blocked", s.status === "blocked");
    var f = card.figs;
    f.wip.value.textContent = String(s.in_process.length);
    f.wip.sub.textContent = s.in_process.slice(0, 3).join(" ");
    f.done.value.textContent = s.done_today + SLASH + fmt(s.plan_to_hour, 1);
    f.done.sub.textContent = s.behind ? "behind plan" : "";
    setAbnormal(f.done.box, s.behind);
    f.takt.value.textContent = fmt(s.cycle_h, 1) + SLASH + fmt(s.takt_h, 1);
    var slow = s.cycle_h !== null && s.takt_h !== null && s.cycle_h > s.takt_h;
    f.takt.sub.textContent = slow ? "slower than takt" : "";
    setAbnormal(f.takt.box, slow);
    f.fpy.value.textContent = pct(s.first_pass_yield) + SLASH + pct(s.model_first_pass_yield);
    var low = s.first_pass_yield !== null && s.model_first_pass_yield !== null &&
      s.first_pass_yield < s.model_first_pass_yield;
    f.fpy.sub.textContent = low ? "below model" : "";
    setAbnormal(f.fpy.box, low);
    card.modes.textContent = "";
    if (!s.failure_modes.length) { card.modes.appendChild(el("li", "none", "none")); }
    s.failure_modes.forEach(function (m) { card.modes.appendChild(el("li", "", m.mode + " × " + m.failures)); });
  }

  function render(board) {
    document.getElementById("line-time").textContent = board.now ? board.now.slice(11, 16) : "--:--";
    root.dataset.seq = String(board.seq || 0);
    var andon = document.getElementById("andon");
    andon.textContent = "";
    if (board.error) {
      andon.appendChild(el("p", "andon-item down", board.error));
    }
    var shown = board.stations.filter(function (s) { return !only || s.id === only; });
    var alarms = board.andon.filter(function (a) { return !only || a.station === only; });
    if (!alarms.length && !board.error) { andon.appendChild(el("p", "andon-ok", "All stations normal")); }
    alarms.forEach(function (a) { andon.appendChild(el("p", "andon-item " + a.reason, a.station + ": " + a.reason)); });
    root.classList.toggle("single", !!only);
    shown.forEach(renderStation);
  }

  function live() {
    lastHeard = Date.now();
    if (staleSince !== null) {
      staleSince = null;
      document.getElementById("stale").hidden = true;
      root.classList.remove("is-stale");
    }
    document.getElementById("conn").textContent = "live";
  }

  function stale() {
    if (staleSince === null) {
      staleSince = new Date(lastHeard || Date.now());
      document.getElementById("stale-since").textContent = hhmm(staleSince);
      document.getElementById("stale").hidden = false;
      root.classList.add("is-stale");
      document.getElementById("conn").textContent = "stale";
    }
  }

  function connect() {
    if (source) { source.close(); }
    source = new EventSource(streamUrl);
    source.addEventListener("board", function (e) { live(); render(JSON.parse(e.data)); });
    source.addEventListener("ping", live);
    source.onopen = live;
    source.onerror = function () {
      stale();
      if (source.readyState === EventSource.CLOSED) { setTimeout(connect, RETRY_MS); }
    };
  }

  setInterval(function () {
    if (lastHeard && Date.now() - lastHeard > SILENCE_MS) {
      stale();
      connect();  // a silent connection (a cable pulled, a proxy holding it) is dropped and made again
      lastHeard = Date.now();
    }
  }, 1000);

  render(JSON.parse(document.getElementById("board-data").textContent));
  connect();
}());
