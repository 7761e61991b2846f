// Asks before a form with data-confirm is sent (splitting a record, undoing a merge,
// cancelling an import). Without scripts the forms are sent as they are.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
