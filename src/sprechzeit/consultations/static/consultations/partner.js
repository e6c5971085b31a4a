// The partner's request channel: incoming requests with a sound, accept / decline.
(function () {
  "use strict";
  var root = document.getElementById("partner-requests");
  if (!root) { return; }
  var texts = JSON.parse(document.getElementById("partner-texts").textContent);
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var list = document.getElementById("request-list");
  var socket = null;

  // Browsers keep a page silent until the person interacts with it. "Online gehen" is
  // that interaction: it asks for notifications and switches the sound on; after the
  // page reloads, a visible button offers the same until any click has unlocked it.
  var audio = null;
  var soundHint = document.getElementById("sound-enable");
  function audioContext() {
    if (!audio) {
      try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
    }
    return audio;
  }
  function soundOn() { return !!audio && audio.state === "running"; }
  function showSoundHint() { if (soundHint) { soundHint.hidden = soundOn(); } }
  function enableSound() {
    var ctx = audioContext();
    if (ctx && ctx.state === "suspended") { ctx.resume().then(showSoundHint, showSoundHint); }
    if ("Notification" in window && Notification.permission === "default") {
      try { Notification.requestPermission(); } catch (e) { /* a courtesy */ }
    }
    showSoundHint();
  }
  function tone(frequency, seconds) {
    var ctx = audioContext();
    if (!ctx) { return; }
    try {
      var osc = ctx.createOscillator();
      osc.frequency.value = frequency;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + seconds);
    } catch (e) { /* sound is a courtesy */ }
  }
  function ring() { tone(880, 0.6); }
  document.querySelectorAll("[data-go-online]").forEach(function (control) {
    control.addEventListener("click", enableSound);
  });
  if (soundHint) {
    soundHint.addEventListener("click", function () { enableSound(); tone(660, 0.15); });
  }
  document.addEventListener("click", function () { if (!soundOn()) { enableSound(); } });
  audioContext();
  showSoundHint();
  // A request also shows without sound: the item and a banner blink, so does the title.
  var alertBox = document.getElementById("request-alert");
  var title = document.title;
  var titleTimer = null;
  function blink(on) {
    if (alertBox) { alertBox.hidden = !on; }
    if (on && !titleTimer) {
      titleTimer = window.setInterval(function () {
        document.title = document.title === title ? "\u25CF " + texts.request : title;
      }, 1000);
    } else if (!on && titleTimer) {
      window.clearInterval(titleTimer);
      titleTimer = null;
      document.title = title;
    }
  }
  function pending() { return list.querySelectorAll("li").length > 0; }
  function button(label, type, id) {
    var b = document.createElement("button");
    b.className = "button small" + (type === "decline" ? " secondary" : "");
    b.textContent = label;
    b.addEventListener("click", function () { socket.send(JSON.stringify({ type: type, consultation: id })); });
    return b;
  }
  function show(request) {
    if (document.getElementById("request-" + request.consultation)) { return; }
    var item = document.createElement("li");
    item.id = "request-" + request.consultation;
    item.className = "request-new";
    // A video request says so: the partner needs camera and microphone for it.
    var medium = request.channel === "video" ? " · " + texts.video : "";
    item.textContent = texts.request + ": " + request.client + " · " + request.platform + " · " + request.listing + medium + " ";
    item.appendChild(button(texts.accept, "accept", request.consultation));
    item.appendChild(button(texts.decline, "decline", request.consultation));
    list.appendChild(item);
    blink(true);
    ring();
    notify(texts.request + ": " + request.listing);
  }
  // A browser notification reaches a partner whose portal tab is in the background.
  function notify(text) {
    if (!("Notification" in window) || document.visibilityState === "visible") { return; }
    if (Notification.permission === "granted") {
      try { new Notification(text); } catch (e) { /* notifications are a courtesy */ }
    }
  }
  function drop(id) {
    var item = document.getElementById("request-" + id);
    if (item) { item.remove(); }
    blink(pending());
  }
  function connect() {
    socket = new WebSocket(scheme + window.location.host + root.dataset.ws);
    socket.addEventListener("message", function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "hello") { message.requests.forEach(show); }
      if (message.type === "request") { show(message); }
      if (message.type === "request.closed") { drop(message.consultation); }
      if (message.type === "accepted") { window.location.href = "/beratung/" + message.consultation + "/"; }
      if (message.type === "declined") { drop(message.consultation); }
      if (message.type === "presence") { document.getElementById("presence").textContent = message.status; }
    });
    socket.addEventListener("close", function () { window.setTimeout(connect, 2000); });
  }
  connect();
})();
