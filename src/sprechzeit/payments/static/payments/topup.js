// Preset amounts on the top-up page: a click fills the amount and picks its payment channel.
// (A static file, not an onclick attribute: the Content-Security-Policy runs no inline code.)
document.addEventListener("click", function (event) {
  const button = event.target.closest("button[data-preset-amount]");
  if (!button) { return; }
  document.getElementById("amount").value = button.dataset.presetAmount;
  const channel = document.getElementById(button.dataset.presetChannel);
  if (channel) { channel.checked = true; }
});
