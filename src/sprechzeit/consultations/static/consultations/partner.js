// The partner's request channel: incoming requests with a sound, accept / decline.
(function () {
  "use strict";
  var root = document.getElementById("partner-requests");
  if (!root) { return; }
  var texts = JSON.parse(document.getElementById("partner-texts").textContent);
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var list = document.getElementById("request-list");
  var socket = null;

  function ring() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.6);
    } catch (e) { /* sound is a courtesy */ }
  }
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
    item.textContent = texts.request + ": " + request.client + " · " + request.platform + " · " + request.listing + " ";
    item.appendChild(button(texts.accept, "accept", request.consultation));
    item.appendChild(button(texts.decline, "decline", request.consultation));
    list.appendChild(item);
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
  if ("Notification" in window && Notification.permission === "default") {
    document.addEventListener("click", function ask() {
      Notification.requestPermission();
      document.removeEventListener("click", ask);
    }, { once: true });
  }
  function drop(id) {
    var item = document.getElementById("request-" + id);
    if (item) { item.remove(); }
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
