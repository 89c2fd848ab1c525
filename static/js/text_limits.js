// A live count of the characters typed in a text with a limit (textarea[data-pti-max]): the
// form refuses a longer text with a message, this says it before saving. No limit is set in
// the browser (maxlength would cut a pasted text without a word). Works on the fields htmx
// swaps in, as it listens on the document.
(function () {
  "use strict";

  function counterOf(field) {
    var id = field.id + "_compteur";
    var counter = document.getElementById(id);
    if (!counter) {
      counter = document.createElement("p");
      counter.id = id;
      counter.className = "form-text mt-1 mb-0";
      field.insertAdjacentElement("afterend", counter);
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", described ? described + " " + id : id);
    }
    return counter;
  }

  function count(field) {
    var max = Number(field.getAttribute("data-pti-max"));
    var length = Array.from(field.value).length;
    var counter = counterOf(field);
    var over = length - max;
    counter.classList.toggle("pti-over-limit", over > 0);
    counter.textContent =
      over > 0
        ? over + " caractère" + (over > 1 ? "s" : "") + " de trop : " + max + " au plus."
        : length + " caractère" + (length > 1 ? "s" : "") + " sur " + max + " au plus.";
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.matches && field.matches("textarea[data-pti-max]")) {
      count(field);
    }
  });
})();
