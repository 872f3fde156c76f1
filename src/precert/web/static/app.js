// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  // A form is sent once: a double click does not post it twice.
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      setTimeout(function () { delete form.dataset.sent; }, 8000);
    });
  });

  // Enter in a field presses the button that field belongs with (look up, find, or submit).
  document.querySelectorAll("form[data-default]").forEach(function (form) {
    form.addEventListener("keydown", function (event) {
      var field = event.target;
      if (event.key !== "Enter" || field.tagName !== "INPUT") return;
      var target = document.getElementById(field.dataset.enter || form.dataset.default);
      if (!target) return;
      event.preventDefault();
      target.click();
    });
  });

  // Units show their minutes as they are typed.
  document.querySelectorAll("input[data-minutes]").forEach(function (input) {
    var perUnit = parseInt(input.dataset.minutes, 10);
    var output = document.createElement("output");
    output.className = "minutes";
    output.setAttribute("for", input.id);
    output.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", output);
    function show() {
      var units = parseInt(input.value, 10);
      output.textContent = units > 0 ? units + " units = " + units * perUnit + " minutes" : "";
    }
    input.addEventListener("input", show);
    show();
  });

  // The decision page can be printed as a summary.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
