"""The static site: pages from the dataset frame, heatmaps, mkdocs glue."""
