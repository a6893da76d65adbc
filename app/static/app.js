// The dashboard's own script (a file: the Content-Security-Policy allows no inline script).
// <select data-submit-on-change> submits its form when a value is picked (filters).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-submit-on-change]") && field.form) {
    field.form.requestSubmit();
  }
});
