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
