// Video consultations: one WebRTC peer connection between the client's and the
// partner's browser. Signalling (ready / offer / answer / ice) goes through the room's
// socket (room.js hands every frame over as a "room:message" event and sends what this
// script dispatches as "room:send"). The server meters and cuts off exactly as for a
// chat; on `ended` this script closes the connection and the camera. When the media
// fail (refused, no device, no connection) the consultation goes on as a chat.
// Negotiation: each side announces `ready` once it has its camera and the consultation
// is live; the client makes the offers (numbered, so late answers of an older offer
// are ignored), the partner answers. No dependencies.
(function () {
  "use strict";
  var room = document.getElementById("room");
  var panel = document.getElementById("video");
  if (!room || !panel) { return; }
  var texts = JSON.parse(document.getElementById("video-texts").textContent);
  var role = room.dataset.role;
  var iceServers = [];
  var localStream = null;
  var pc = null;
  var negotiation = 0; // the id of the current offer
  var pending = []; // candidates that came before the remote description
  var live = false;
  var over = false; // ended, or fell back to chat

  function $(id) { return document.getElementById(id); }
  function status(text) { $("video-status").textContent = text; }
  function send(message) { room.dispatchEvent(new CustomEvent("room:send", { detail: message })); }
  function signal(payload) { payload.type = "signal"; send(payload); }
  function message(text) {
    var node = $("video-message");
    node.textContent = text;
    node.hidden = !text;
  }

  function closePeer() {
    if (pc) {
      pc.onicecandidate = null;
      pc.ontrack = null;
      pc.onconnectionstatechange = null;
      pc.close();
      pc = null;
    }
    pending = [];
  }
  // Everything off: the connection, the camera and the microphone.
  function stopMedia() {
    closePeer();
    if (localStream) {
      localStream.getTracks().forEach(function (track) { track.stop(); });
      localStream = null;
    }
    $("video-remote").srcObject = null;
    $("video-self").srcObject = null;
    $("video-stage").hidden = true;
    $("video-controls").hidden = true;
    $("video-permission").hidden = true;
  }
  function finish(text) {
    if (over) { return; }
    over = true;
    stopMedia();
    status("");
    message(text);
  }
  // This side cannot do video: tell the server (it records the fall-back and tells the
  // peer), go on as a chat.
  function fallBack(reason) {
    if (over) { return; }
    send({ type: "media.fallback", reason: reason });
    finish(texts[reason] || texts.failed);
  }

  function peer() {
    closePeer();
    var connection = new RTCPeerConnection({ iceServers: iceServers });
    var id = negotiation;
    localStream.getTracks().forEach(function (track) { connection.addTrack(track, localStream); });
    connection.onicecandidate = function (event) {
      signal({ kind: "ice", id: id, candidate: event.candidate ? event.candidate.toJSON() : null });
    };
    connection.ontrack = function (event) {
      var remote = $("video-remote");
      if (remote.srcObject !== event.streams[0]) { remote.srcObject = event.streams[0]; }
    };
    connection.onconnectionstatechange = function () {
      if (connection !== pc) { return; }
      if (connection.connectionState === "connected") { status(texts.connected); }
      if (connection.connectionState === "failed") { fallBack("failed"); }
    };
    pc = connection;
    return connection;
  }
  function flushCandidates() {
    var queued = pending;
    pending = [];
    queued.forEach(function (candidate) { pc.addIceCandidate(candidate).catch(function () {}); });
  }
  function offer() {
    negotiation += 1;
    var connection = peer();
    var id = negotiation;
    status(texts.connecting);
    connection.createOffer()
      .then(function (description) { return connection.setLocalDescription(description); })
      .then(function () { signal({ kind: "offer", id: id, sdp: connection.localDescription.sdp }); })
      .catch(function () { fallBack("failed"); });
  }
  function answer(message) {
    negotiation = message.id;
    var connection = peer();
    status(texts.connecting);
    connection.setRemoteDescription({ type: "offer", sdp: message.sdp })
      .then(function () { flushCandidates(); return connection.createAnswer(); })
      .then(function (description) { return connection.setLocalDescription(description); })
      .then(function () { signal({ kind: "answer", id: message.id, sdp: connection.localDescription.sdp }); })
      .catch(function () { fallBack("failed"); });
  }
  function onSignal(message) {
    if (over || !localStream) { return; }
    if (message.kind === "ready") {
      if (role === "client") { offer(); } else if (!pc) { signal({ kind: "ready" }); }
    } else if (message.kind === "offer" && role === "partner") {
      answer(message);
    } else if (message.kind === "answer" && role === "client" && pc && message.id === negotiation) {
      pc.setRemoteDescription({ type: "answer", sdp: message.sdp })
        .then(flushCandidates)
        .catch(function () { fallBack("failed"); });
    } else if (message.kind === "ice" && pc && message.id === negotiation && message.candidate) {
      if (pc.remoteDescription) {
        pc.addIceCandidate(message.candidate).catch(function () {});
      } else {
        pending.push(message.candidate);
      }
    } else if (message.kind === "hangup") {
      closePeer();
    }
  }
  function announce() {
    // A connection that works is left alone (a socket that reconnected says hello again).
    if (pc && (pc.connectionState === "connected" || pc.connectionState === "connecting")) { return; }
    if (live && localStream && !over) {
      status(texts.connecting);
      signal({ kind: "ready" });
    }
  }

  // The camera and microphone, asked for only after the explanation and a click.
  function allow() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.RTCPeerConnection) {
      fallBack("unsupported");
      return;
    }
    $("video-allow").disabled = true;
    navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } } })
      .then(function (stream) {
        if (over) { stream.getTracks().forEach(function (track) { track.stop(); }); return; }
        localStream = stream;
        $("video-self").srcObject = stream;
        $("video-permission").hidden = true;
        $("video-stage").hidden = false;
        $("video-controls").hidden = false;
        status(live ? texts.connecting : texts.waiting);
        announce();
      })
      .catch(function (error) {
        var name = error && error.name;
        fallBack(name === "NotAllowedError" || name === "SecurityError" ? "denied" : "no_device");
      });
  }
  function toggle(button, kind, offText, onText) {
    if (!localStream) { return; }
    var off = button.getAttribute("aria-pressed") !== "true";
    localStream.getTracks().forEach(function (track) { if (track.kind === kind) { track.enabled = !off; } });
    button.setAttribute("aria-pressed", off ? "true" : "false");
    button.textContent = off ? onText : offText;
  }
  $("video-allow").addEventListener("click", allow);
  $("video-mute").addEventListener("click", function () { toggle(this, "audio", texts.mute, texts.unmute); });
  $("video-camera").addEventListener("click", function () { toggle(this, "video", texts.camera_off, texts.camera_on); });

  room.addEventListener("room:message", function (event) {
    var message = event.detail;
    switch (message.type) {
      case "hello":
        if (message.media) { iceServers = message.media.ice_servers; }
        if (message.media && message.media.fallback) { finish(texts.chat_only); break; }
        if (["ended", "settled", "declined", "missed", "cancelled"].indexOf(message.state.status) >= 0) {
          finish(""); break;
        }
        live = message.state.status === "live";
        if (!live && !localStream) { status(texts.waiting); }
        announce();
        break;
      case "started":
        live = true;
        announce();
        break;
      case "media.ice":
        iceServers = message.ice_servers;
        break;
      case "signal":
        onSignal(message);
        break;
      case "media.fallback":
        finish(message.role === role ? (texts[message.reason] || texts.failed) : texts.peer_fallback);
        break;
      case "ended":
      case "settled":
        finish(texts.ended);
        break;
      case "declined":
      case "missed":
      case "cancelled":
        finish("");
        break;
    }
  });
})();
