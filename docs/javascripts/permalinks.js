// Old cell permalinks. Cells used to have a page each (cells/<cell id>/); they now have a
// section on the page of their id's first three characters (cells/c3f/#c3f...). A link to
// an old address reaches the site's 404 page, which sends the reader to the new one.
(function () {
  "use strict";
  var m = window.location.pathname.match(/^(.*\/)cells\/(c[0-9a-f]{12})\/?(?:index\.html)?$/);
  if (m) {
    window.location.replace(m[1] + "cells/" + m[2].slice(0, 3) + "/#" + m[2]);
  }
})();
