// Confirmation for destructive buttons: <button data-confirm="Delete this record?">.
document.addEventListener("submit", function (event) {
  const trigger = event.submitter || event.target.querySelector("[data-confirm]");
  const message = trigger && trigger.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Print buttons: <button data-print>.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// The portal's section menu scrolls sideways on a phone: keep the current section in view.
document.addEventListener("DOMContentLoaded", function () {
  const current = document.querySelector(".portal-nav .active");
  if (current) {
    current.scrollIntoView({ block: "nearest", inline: "center" });
  }
});
