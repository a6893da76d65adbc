// The dashboard's own script (a file: the Content-Security-Policy allows no inline script).
// <select data-submit-on-change> submits its form when a value is picked (filters).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-submit-on-change]") && field.form) {
    field.form.requestSubmit();
  }
});

// "/" anywhere but in a field focuses the search box of the nav; Escape leaves it.
document.addEventListener("keydown", function (event) {
  var search = document.getElementById("nav-search");
  if (!search) { return; }
  var target = event.target;
  var typing = target && (target.isContentEditable ||
    /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    search.focus();
    search.select();
  } else if (event.key === "Escape" && target === search) {
    search.blur();
  }
});

// On narrow screens tables reflow into labelled rows (app.css): each cell is labelled with
// its column's header, for the pages as rendered and for what htmx swaps in later.
function labelTables(root) {
  var inside = root.closest ? root.closest("table") : null;  // a swapped-in row or cell
  var tables = inside ? [inside] : (root.querySelectorAll ? root.querySelectorAll("table") : []);
  Array.prototype.forEach.call(tables, function (table) {
    var heads = table.tHead && table.tHead.rows.length ? table.tHead.rows[0].cells : null;
    if (!heads) { return; }
    var labels = [];
    Array.prototype.forEach.call(heads, function (th) {
      for (var i = 0; i < (th.colSpan || 1); i++) { labels.push(th.textContent.trim()); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label") && labels[column] !== undefined) {
            cell.setAttribute("data-label", labels[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", function () { labelTables(document); });
document.addEventListener("htmx:load", function (event) { labelTables(event.target); });

// No time zone chosen yet (base.html says where to store one): the browser's is stored, so
// the next pages show times in it. The account's time-zone page changes it later.
document.addEventListener("DOMContentLoaded", function () {
  var url = document.body.getAttribute("data-detect-time-zone");
  var meta = document.querySelector("meta[name=csrf-token]");
  var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!url || !meta || !zone || !window.fetch) { return; }
  var form = new FormData();
  form.append("csrf_token", meta.getAttribute("content"));
  form.append("time_zone", zone);
  form.append("detected", "1");
  fetch(url, {method: "POST", body: form, credentials: "same-origin",
              headers: {"X-CSRFToken": meta.getAttribute("content")}});
});

// <time data-countdown datetime="…Z"> counts down to that moment, every second.
function countdownText(seconds) {
  if (seconds <= 0) { return "due now"; }
  var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
  var pad = function (n) { return n < 10 ? "0" + n : "" + n; };
  return "in " + (h ? h + " h " + pad(m) + " min" : (m ? m + " min " + pad(s) + " s" : s + " s"));
}
function tickCountdowns() {
  var now = Date.now();
  Array.prototype.forEach.call(document.querySelectorAll("time[data-countdown]"), function (el) {
    var at = Date.parse(el.getAttribute("datetime"));
    if (!isNaN(at)) { el.textContent = countdownText(Math.round((at - now) / 1000)); }
  });
}
document.addEventListener("DOMContentLoaded", function () {
  if (document.querySelector("time[data-countdown]")) {
    tickCountdowns();
    window.setInterval(tickCountdowns, 1000);
  }
});

// A timeline wider than a phone scrolls inside its box: start with "now" in view.
document.addEventListener("DOMContentLoaded", function () {
  Array.prototype.forEach.call(document.querySelectorAll(".timeline-scroll"), function (box) {
    var svg = box.querySelector("svg[data-now]");
    if (svg && box.scrollWidth > box.clientWidth) {
      var now = parseFloat(svg.getAttribute("data-now")) * box.scrollWidth;
      box.scrollLeft = Math.max(0, now - box.clientWidth / 2);
    }
  });
});
