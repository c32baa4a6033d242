// Sortable, filterable tables for the matrix site. No dependencies, no network.
// Every table in a page's content sorts when a column title is clicked; tables with
// more than FILTER_MIN rows, and every table of cells (data-filter="always"), get a
// filter box that keeps rows containing every word typed.
(function () {
  "use strict";
  var FILTER_MIN = 6;

  function cellText(row, i) {
    var c = row.cells[i];
    return c ? c.textContent.trim() : "";
  }

  function compare(a, b) {
    var na = parseFloat(a), nb = parseFloat(b);
    if (!isNaN(na) && !isNaN(nb) && /^[\d.\-]+(\/\d+)?$/.test(a) && /^[\d.\-]+(\/\d+)?$/.test(b)) {
      return na - nb;
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function makeSortable(table) {
    var head = table.tHead;
    if (!head || !head.rows.length || !table.tBodies.length) return;
    Array.prototype.forEach.call(head.rows[0].cells, function (th, i) {
      th.classList.add("sortable");
      th.setAttribute("tabindex", "0");
      th.setAttribute("role", "button");
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(head.rows[0].cells, function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var d = compare(cellText(r1, i), cellText(r2, i));
          return asc ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  }

  function makeFilterable(table) {
    if (!table.tBodies.length) return;
    if (table.tBodies[0].rows.length < FILTER_MIN && table.dataset.filter !== "always") return;
    var input = document.createElement("input");
    input.type = "search";
    input.className = "table-filter";
    input.placeholder = "Filter rows (all words must match)";
    input.setAttribute("aria-label", "Filter the rows of the table below");
    var count = document.createElement("span");
    count.className = "table-filter-count";
    var wrap = document.createElement("div");
    wrap.className = "table-filter-box";
    wrap.appendChild(input);
    wrap.appendChild(count);
    var anchor = table.closest(".md-typeset__scrollwrap") || table;
    anchor.parentNode.insertBefore(wrap, anchor);
    var rows = table.tBodies[0].rows;
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(rows, function (r) {
        var text = r.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        r.hidden = !ok;
        if (ok) shown += 1;
      });
      count.textContent = shown + " of " + rows.length + " rows";
    }
    input.addEventListener("input", apply);
    apply();
  }

  function init() {
    var tables = document.querySelectorAll("article table");
    Array.prototype.forEach.call(tables, function (t) {
      if (t.dataset.matrixReady) return;
      t.dataset.matrixReady = "1";
      // key/value tables (no column titles) are read, not sorted or filtered
      if (!t.tHead || t.tHead.textContent.trim() === "") return;
      makeSortable(t);
      makeFilterable(t);
    });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);  // mkdocs-material: runs on every page view
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
