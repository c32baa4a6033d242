// Old cell permalinks keep working.
// 1. Cells used to have a page each (cells/<cell id>/); they now have a section on the
//    page of their id's first three characters (cells/c3f/#c3f...).
// 2. Cells whose Go toolchain was renamed (data/grid.toml `aliases`: "local" became
//    "go1.26.8") have a new id; cells/renamed.json maps each old id to its new one.
// A link to an old address reaches the site's 404 page (or a group page without that
// section), which sends the reader to the new one.
(function () {
  "use strict";
  var path = window.location.pathname;
  var page = path.match(/^(.*\/)cells\/(c[0-9a-f]{12})\/?(?:index\.html)?$/);
  var group = path.match(/^(.*\/)cells\/c[0-9a-f]{2}\/?(?:index\.html)?$/);
  var hash = window.location.hash.match(/^#(c[0-9a-f]{12})$/);
  var root = page ? page[1] : group ? group[1] : null;
  if (root === null) {
    return;
  }
  function go(id) {
    window.location.replace(root + "cells/" + id.slice(0, 3) + "/#" + id);
  }
  function viaRenamed(id, otherwise) {
    fetch(root + "cells/renamed.json")
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (map) {
        if (map[id]) {
          go(map[id]);
        } else if (otherwise) {
          otherwise();
        }
      })
      .catch(function () { if (otherwise) { otherwise(); } });
  }
  if (page) {
    viaRenamed(page[2], function () { go(page[2]); });
  } else if (hash && !document.getElementById(hash[1])) {
    viaRenamed(hash[1], null);
  }
})();
