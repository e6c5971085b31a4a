// The consultation room: chat and live meter over /ws/consultations/<id>/.
// The server owns the meter and the cut-off; this page only displays what it is told
// and interpolates the seconds between the server's snapshots. No dependencies.
(function () {
  "use strict";
  var room = document.getElementById("room");
  if (!room) { return; }
  var texts = JSON.parse(document.getElementById("room-texts").textContent);
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var socket = null;
  var state = null;
  var lastMeter = null;
  var lastMeterAt = 0;
  var ended = false;
  var paused = false;
  var rate = parseInt(room.dataset.rate, 10);

  function $(id) { return document.getElementById(id); }
  function clockText(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  // Amounts as the site writes them ("12,34 €" in German, "€12.34" in English).
  var moneyFormat = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "de-DE",
    { style: "currency", currency: room.dataset.currency || "EUR" });
  function money(minor) { return moneyFormat.format(minor / 100); }
  function show(id, visible) { var node = $(id); if (node) { node.hidden = !visible; } }
  function text(id, value) { var node = $(id); if (node) { node.textContent = value; } }
  // After the end: say so, freeze the controls, drop the warning and the top-up hint,
  // and show the summary; once booked, the summary has the amounts and the rating rule.
  function finish(message) {
    ended = true;
    $("meter-status").textContent = texts.ended;
    show("meter-warning", false);
    show("topup-hint", false);
    $("chat-input").disabled = true;
    $("send-button").disabled = true;
    $("end-button").disabled = true;
    var endState = message.state;
    if (endState.amount_minor !== null) {
      $("meter-cost").textContent = money(endState.amount_minor);
      $("meter-elapsed").textContent = clockText(endState.duration_seconds);
      $("meter-remaining").textContent = "–";
    }
    show("end-summary", true);
    text("summary-reason", texts.reasons[endState.reason] || endState.reason || "–");
    if (endState.duration_seconds !== null) { text("summary-duration", clockText(endState.duration_seconds)); }
    if (endState.amount_minor !== null) { text("summary-amount", money(endState.amount_minor)); }
    var summary = message.summary;
    if (!summary) { return; }
    show("summary-booking", false);
    text("summary-duration", clockText(summary.billed_seconds !== null ? summary.billed_seconds : summary.duration_seconds));
    text("summary-amount", money(summary.amount_minor || 0));
    if (summary.balance_minor !== null) { text("summary-balance", money(summary.balance_minor)); show("summary-topup", true); }
    show("rating-form", summary.rateable);
    show("rating-note", !summary.rateable && !summary.rated);
  }
  function render() {
    if (!lastMeter || ended) { return; }
    // While the meter is paused (client on the top-up page) the seconds stand still.
    var drift = paused ? 0 : (Date.now() - lastMeterAt) / 1000;
    var elapsed = Math.min(lastMeter.paid_seconds, lastMeter.elapsed_seconds + drift);
    $("meter-elapsed").textContent = clockText(elapsed);
    // An estimate between snapshots; the server's rating function decides the amount.
    $("meter-cost").textContent = money(Math.max(lastMeter.cost_minor, Math.round(rate * Math.floor(elapsed) / 60)));
    $("meter-remaining").textContent = clockText(lastMeter.paid_seconds - elapsed);
  }
  function addMessage(sender, body) {
    var item = document.createElement("li");
    item.className = "chat-" + sender;
    var who = document.createElement("span");
    who.className = "sender";
    who.textContent = texts[sender] || sender;
    item.appendChild(who);
    item.appendChild(document.createTextNode(" " + body));
    $("chat-log").appendChild(item);
    item.scrollIntoView({ block: "end" });
  }
  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.2);
    } catch (e) { /* sound is a courtesy */ }
  }
  function onMessage(event) {
    var message = JSON.parse(event.data);
    // The video script (video.js, video consultations) hears every frame too.
    room.dispatchEvent(new CustomEvent("room:message", { detail: message }));
    switch (message.type) {
      case "hello":
        state = message.state;
        $("meter-status").textContent = texts[state.status] || state.status;
        break;
      case "started":
      case "extended":
        state = message.state;
        $("meter-status").textContent = texts.live;
        $("meter-warning").hidden = true;
        if (lastMeter) { lastMeter.paid_seconds = state.paid_seconds; }
        break;
      case "paused":
      case "resumed":
        state = message.state;
        paused = message.type === "paused";
        if (lastMeter) {
          lastMeter.elapsed_seconds = Math.min(lastMeter.paid_seconds, lastMeter.elapsed_seconds + (Date.now() - lastMeterAt) / 1000);
          lastMeter.paid_seconds = state.paid_seconds;
          lastMeterAt = Date.now();
        }
        $("meter-status").textContent = paused ? texts.paused : texts.live;
        break;
      case "meter":
        paused = message.paused;
        lastMeter = message;
        lastMeterAt = Date.now();
        render();
        break;
      case "warning":
        if (ended) { break; }
        $("meter-warning").textContent = texts.warning.replace("%s", message.remaining_seconds);
        $("meter-warning").hidden = false;
        beep();
        break;
      case "chat":
        addMessage(message.sender, message.body);
        break;
      case "ended":
      case "settled":
        finish(message);
        break;
      case "declined":
      case "missed":
      case "cancelled":
        ended = true;
        $("meter-status").textContent = texts[message.type] || message.type;
        show("meter-warning", false);
        show("topup-hint", false);
        $("chat-input").disabled = true;
        $("send-button").disabled = true;
        $("end-button").disabled = true;
        break;
      case "error":
        $("meter-warning").textContent = message.message;
        $("meter-warning").hidden = false;
        break;
    }
  }
  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(message)); }
  }
  function connect() {
    socket = new WebSocket(scheme + window.location.host + room.dataset.ws);
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function () {
      if (!ended) { window.setTimeout(connect, 2000); }
    });
  }
  $("chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("chat-input");
    if (input.value.trim()) { send({ type: "chat", body: input.value }); }
    input.value = "";
  });
  $("end-button").addEventListener("click", function () { send({ type: "end" }); });
  // The video script sends its signalling through this page's socket.
  room.addEventListener("room:send", function (event) { send(event.detail); });
  // Heartbeats confirm the seconds this side was present; a lost connection is billed
  // up to the last one the server received.
  window.setInterval(function () { send({ type: "heartbeat" }); }, 10000);
  // The top-up page opens in another tab. Where the platform lets the meter pause
  // meanwhile, say so; back in this tab, resume (which also extends at once), else
  // just ask the server to extend.
  var topup = $("topup-link");
  var pausedByMe = false;
  if (topup) {
    topup.addEventListener("click", function () {
      if (state && state.pause_max_seconds > 0 && !ended) { send({ type: "pause" }); pausedByMe = true; }
    });
  }
  window.addEventListener("focus", function () {
    if (room.dataset.role !== "client") { return; }
    if (pausedByMe) { pausedByMe = false; send({ type: "resume" }); } else { send({ type: "extend" }); }
  });
  window.setInterval(render, 1000);
  connect();
})();
