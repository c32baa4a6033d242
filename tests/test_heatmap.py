"""matrix.site.heatmap and matrix.site.pictures: grids from small frames, drawn as
deterministic inline SVG whose squares link to their cells."""

from __future__ import annotations

import pandas as pd

from matrix.dataset import frame as dataset
from matrix.site import heatmap, pictures
from matrix.site.links import Links
from tests.sitekit import synthetic_record


def frame() -> pd.DataFrame:
    return dataset.frame(
        [
            synthetic_record(),
            synthetic_record(plugin_tc="go1.19.8"),
            synthetic_record(host_tc="go1.19.8", plugin_tc="go1.19.8"),
            synthetic_record(host_tc="go1.19.8", plugin_tc="go1.26.8"),
            synthetic_record(plugin="transformer"),
            synthetic_record("v5.7.1", host_tc="go1.19.8", outcome="build-failed"),
            synthetic_record(host_variant="trimpath", outcome="fails", axes=["host-variant"]),
        ]
    )


def test_release_grid_counts_baseline_cells() -> None:
    g = heatmap.release_grid(frame(), "v5.8.2")
    assert g.rows == g.cols == ["go1.19.8", "go1.26.8"]
    cell = dict(
        zip(((r, c) for r in g.rows for c in g.cols), (x for row in g.labels for x in row), strict=True)
    )
    assert cell[("go1.26.8", "go1.26.8")] == "2/2"  # generator and transformer; trimpath left out
    assert cell[("go1.26.8", "go1.19.8")] == "0/1"
    assert g.fractions[1][1] == 1.0
    assert g.fractions[1][0] == 0.0


def test_grey_cells_say_why() -> None:
    g = heatmap.release_grid(frame(), "v5.7.1")
    assert g.rows == g.cols == ["go1.19.8", "go1.26.8"]
    assert g.labels == [["", "build\nfailed"], ["", ""]]  # host go1.19.8, plugin go1.26.8
    assert g.fractions[0][1] is None
    assert heatmap.summarise(frame().iloc[0:0]) == ("", None)


def test_overview_grid_has_a_column_per_go_relation() -> None:
    g = heatmap.overview_grid(frame(), ["v5.7.1", "v5.8.2"])
    assert g.rows == ["v5.7.1", "v5.8.2"]
    assert g.cols == ["same Go release", "another minor"]
    assert g.labels == [["", "build\nfailed"], ["3/3", "0/2"]]  # 3/3: trimpath on one side left out
    assert heatmap.col_label(g, "same Go release") == "same Go"


def test_figure_is_deterministic_svg_with_text_not_pixels() -> None:
    g = heatmap.release_grid(frame(), "v5.8.2")
    a = pictures.figure(g, Links("matrix/index.md"), "x")
    b = pictures.figure(g, Links("matrix/index.md"), "x")
    assert a == b
    assert "<svg" in a
    assert "<text" in a
    assert "<img" not in a
    lay = heatmap.layout(g)
    assert f'width="{lay.width}" height="{lay.height}"' in a  # drawn at its own size, not scaled
    assert "build<tspan" not in a  # no failed build among v5.8.2's baseline cells here


def test_grey_squares_say_why_on_two_lines() -> None:
    g = heatmap.release_grid(frame(), "v5.7.1")
    fig = pictures.figure(g, Links("matrix/index.md"), "x")
    assert ">build<tspan" in fig
    assert ">failed</tspan>" in fig
    assert 'class="o-build-failed"' in fig
