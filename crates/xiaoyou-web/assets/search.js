// Suggestions as you type in the search box: names, schools, employers and cities found
// within the user's own scope. Picking one searches for it. Without scripts the box is a
// plain search form.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (!input || !list || !window.fetch) {
    return;
  }
  var timer = null;
  var latest = 0;
  var active = -1;

  function close() {
    list.hidden = true;
    list.textContent = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
  }

  function pick(label) {
    input.value = label;
    close();
    input.form.submit();
  }

  function render(items) {
    list.textContent = "";
    active = -1;
    if (!items.length) {
      close();
      return;
    }
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "suggestion-" + i;
      var link = document.createElement("a");
      link.href = "/search?q=" + encodeURIComponent(item.label);
      link.textContent = item.label;
      var kind = document.createElement("small");
      kind.textContent = item.kind;
      link.appendChild(kind);
      link.addEventListener("click", function (event) {
        event.preventDefault();
        pick(item.label);
      });
      li.appendChild(link);
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function fetchSuggestions() {
    var text = input.value.trim();
    if (!text) {
      close();
      return;
    }
    var ticket = ++latest;
    fetch("/search/suggest?q=" + encodeURIComponent(text), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.ok ? response.json() : [];
      })
      .then(function (items) {
        if (ticket === latest) {
          render(items);
        }
      })
      .catch(close);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 150);
  });

  input.addEventListener("keydown", function (event) {
    var options = list.querySelectorAll("li");
    if (list.hidden || !options.length) {
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach(function (o, i) {
        o.classList.toggle("active", i === active);
      });
      input.setAttribute("aria-activedescendant", options[active].id);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      pick(options[active].querySelector("a").firstChild.textContent);
    } else if (event.key === "Escape") {
      close();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target !== input && !list.contains(event.target)) {
      close();
    }
  });
})();
