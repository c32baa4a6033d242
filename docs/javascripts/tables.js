// Sortable, filterable tables for the matrix site. No dependencies, no network.
// Every table in a page's content sorts when a column title is clicked; tables with
// more than FILTER_MIN rows, and every table of cells (data-filter="always"), get a
// filter box that keeps rows containing every word typed (the whole text of a row,
// the full error included). A table whose column titles carry keys (data-key) also
// reads the page address: ?host-go=go1.26.8&pins=host keeps the rows whose column is
// exactly that value, and go=same|other compares the host-go and plugin-go columns
// (the heatmaps link their squares so). A long error (.clamp) opens on click.
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

  // Column filters from the page address: [{index, key, value}] (and the go relation).
  function keyFilters(table) {
    var head = table.tHead;
    var params = new URLSearchParams(window.location.search);
    var out = [];
    if (!head || !head.rows.length) return out;
    var index = {};
    Array.prototype.forEach.call(head.rows[0].cells, function (th, i) {
      if (th.dataset.key) index[th.dataset.key] = i;
    });
    params.forEach(function (value, key) {
      if (key in index) {
        out.push({ key: key, value: value, test: function (r) { return cellText(r, index[key]) === value; } });
      } else if (key === "kind") {  // go-plugin, exec, krm-function, or scenario (rows' data-kind)
        out.push({ key: "kind", value: value, test: function (r) { return (r.dataset.kind || "go-plugin") === value; } });
      } else if (key === "go" && "host-go" in index && "plugin-go" in index && (value === "same" || value === "other")) {
        out.push({ key: "Go", value: value === "same" ? "the same on both sides" : "another release",
          test: function (r) {
            var same = cellText(r, index["host-go"]) === cellText(r, index["plugin-go"]);
            return value === "same" ? same : !same;
          } });
      }
    });
    return out;
  }

  function makeFilterable(table) {
    if (!table.tBodies.length) return;
    if (table.tBodies[0].rows.length < FILTER_MIN && table.dataset.filter !== "always") return;
    var keys = keyFilters(table);
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
    var shown = document.createElement("span");
    if (keys.length) {
      shown.className = "table-filter-keys";
      shown.textContent = "Only rows with " + keys.map(function (k) { return k.key + " = " + k.value; }).join(", ");
      var clear = document.createElement("button");
      clear.type = "button";
      clear.textContent = "show all rows";
      clear.addEventListener("click", function () { keys = []; shown.remove(); apply(); });
      shown.appendChild(clear);
      wrap.appendChild(shown);
    }
    var anchor = table.closest(".cells-wrap") || table.closest(".md-typeset__scrollwrap") || table;
    anchor.parentNode.insertBefore(wrap, anchor);
    var rows = table.tBodies[0].rows;
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var n = 0;
      Array.prototype.forEach.call(rows, function (r) {
        var text = r.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; }) &&
          keys.every(function (k) { return k.test(r); });
        r.hidden = !ok;
        if (ok) n += 1;
      });
      count.textContent = n + " of " + rows.length + " rows";
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
      t.addEventListener("click", function (e) {
        var c = e.target.closest && e.target.closest(".clamp");
        if (c && !window.getSelection().toString()) c.classList.toggle("open");
      });
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
