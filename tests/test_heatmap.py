"""matrix.site.heatmap: grids from small frames, deterministic PNG and SVG pictures."""

from __future__ import annotations

import pandas as pd
import pytest

from matrix.dataset import frame as dataset
from matrix.site import heatmap
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


def test_overview_grid_puts_matched_pairs_first() -> None:
    g = heatmap.overview_grid(frame(), ["v5.7.1", "v5.8.2"])
    assert g.rows == ["v5.7.1", "v5.8.2"]
    assert g.cols[:2] == ["go1.19.8 → go1.19.8", "go1.26.8 → go1.26.8"]


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_draw_is_deterministic(fmt: str, magic: bytes) -> None:
    g = heatmap.release_grid(frame(), "v5.8.2")
    a, b = heatmap.draw(g, fmt), heatmap.draw(g, fmt)
    assert a.startswith(magic)
    assert a == b


def test_draw_rejects_other_formats() -> None:
    with pytest.raises(ValueError, match="png or svg"):
        heatmap.draw(heatmap.release_grid(frame(), "v5.8.2"), "gif")
