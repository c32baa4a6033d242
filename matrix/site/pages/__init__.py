"""One module per kind of page: each prepares plain data from the frame (and the
Context) and renders its templates (matrix/site/templates/) through matrix.site.render."""
