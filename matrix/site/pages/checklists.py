"""Release checklists (checklists/*.md, and `plugin-matrix checklist`): what to check before
releasing kustomize (packager) or publishing a Go plugin (author), each item backed by
the cells that prove it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from matrix.site import frames, render
from matrix.site.context import Context
from matrix.site.links import Links

WHO = ("packager", "author")


@dataclass
class Item:
    kind: str  # which sentence of checklists/checklist.md.j2 says it
    cells: list[str]
    ok: bool = True  # False: an item that warns (measured harm), True: a do-this item
    data: dict[str, Any] = field(default_factory=dict)  # what the sentence says

    @property
    def proof(self) -> list[str]:
        return list(dict.fromkeys(self.cells))


def _variant_items(df: pd.DataFrame, ctx: Context, side: str) -> list[Item]:
    items = []
    for v, res in frames.variant_rows(df, ctx).items():
        data = {"flags": frames.variant_desc(ctx, v), "side": side}
        one, both = res.get(side), res.get("both")
        if one is None:
            continue
        cells = [str(one["cell_a"]), str(one["cell_b"])] + ([str(both["cell_b"])] if both is not None else [])
        if one["outcome_b"] == "loads":
            items.append(Item("variant-loads", cells, True, data))
        elif both is not None and both["outcome_b"] == "loads":
            items.append(Item("variant-both", cells, False, data))
        elif both is not None:
            items.append(Item("variant-never", cells, False, data))
        elif side == "host" and v in ("official", "noplugin"):
            items.append(Item("variant-host-never", cells, False, data))
        else:
            items.append(Item("variant-unless-both", cells, False, data))
    return items


def _go_item(df: pd.DataFrame, release: str, who: str) -> Item | None:
    b = frames.tried(frames.baseline(df[df["host_release"] == release]))
    if b.empty:
        return None
    same, diff = b[b["host_go"] == b["plugin_go"]], b[b["host_go"] != b["plugin_go"]]
    cells = list(same[same["outcome"] == "loads"]["cell"][:3]) + list(diff["cell"][:3])
    data = {
        "who": who,
        "same": len(same),
        "same_loads": frames.count(same, "loads"),
        "diff": len(diff),
        "diff_loads": frames.count(diff, "loads"),
    }
    return Item("go", cells, frames.count(diff, "loads") == len(diff), data)


def _pin_descs(ctx: Context, pins: set[Any]) -> str:
    return "; ".join(f"{k}: {ctx.pins.get(k, {}).get('description', k)}" for k in sorted(pins))


def _pins_items(df: pd.DataFrame, ctx: Context, who: str) -> list[Item]:
    p = frames.axis_pairs(df, ctx, "pins")
    if p.empty:
        return []
    good = p[p["outcome_b"] == "loads"]
    bad = p[p["outcome_b"] != "loads"]
    items = []
    if not bad.empty:
        pins = frames.uniq(bad["plugin_pins_b"])
        data = {"who": who, "names": ", ".join(sorted(pins)), "descs": _pin_descs(ctx, pins)}
        items.append(Item("pins-failed", list(bad["cell_b"][:4]) + list(bad["cell_a"][:1]), False, data))
    if not good.empty and who == "author":
        data = {"descs": _pin_descs(ctx, frames.uniq(good["plugin_pins_b"]))}
        items.append(Item("pins-loaded", list(good["cell_b"][:4]), True, data))
    return items


def _platform_item(df: pd.DataFrame, ctx: Context, who: str) -> Item | None:
    p = frames.axis_pairs(df, ctx, "platform")
    if p.empty:
        return None
    cross = p[p["host_platform_b"] != p["plugin_platform_b"]]
    same = p[p["host_platform_b"] == p["plugin_platform_b"]]
    cells = list(cross["cell_b"][:3]) + list(same["cell_b"][:3])
    data: dict[str, Any] = {"who": who, "same": None, "cross": None}
    if not same.empty:
        ran = frames.tried(same.rename(columns={"outcome_b": "outcome"}))
        data["same"] = {"loads": frames.count(ran, "loads"), "ran": len(ran), "not_run": len(same) - len(ran)}
    if not cross.empty:
        ran = frames.tried(cross.rename(columns={"outcome_b": "outcome"}))
        data["cross"] = {"loads": frames.count(ran, "loads"), "ran": len(ran)}
    return Item("platform", cells, False, data)


def items(df: pd.DataFrame, ctx: Context, release: str, who: str) -> list[Item]:
    """Checklist for `who` ("packager" or "author") and one release, backed by cells."""
    if who not in WHO:
        raise ValueError(who)
    out: list[Item] = []
    go = _go_item(df, release, who)
    if go:
        out.append(go)
    out += _variant_items(df, ctx, "host" if who == "packager" else "plugin")
    out += _pins_items(df, ctx, who)
    plat = _platform_item(df, ctx, who)
    if plat:
        out.append(plat)
    ok = frames.recipe_cells(df, release)
    if not ok.empty:
        out.append(Item("recipe", list(ok["cell"][:3]), True, {"release": release}))
    return out


def _data(df: pd.DataFrame, ctx: Context, release: str, who: str, links: Links) -> dict[str, Any]:
    return {
        "who": who,
        "release": release,
        "reference": ctx.reference.get("release"),
        "items": items(df, ctx, release, who),
        "links": links,
    }


def markdown(df: pd.DataFrame, ctx: Context, release: str, who: str, links: Links) -> str:
    """The checklist as Markdown (`plugin-matrix checklist` prints it)."""
    return render.text("checklists/checklist.md.j2", **_data(df, ctx, release, who, links))


def page(df: pd.DataFrame, ctx: Context, release: str | None, who: str, src: str) -> str:
    title = "Checklist for kustomize releasers" if who == "packager" else "Checklist for plugin authors"
    if release is None:
        return render.page("checklists/empty.md.j2", "Checklist")
    return render.page("checklists/page.md.j2", title, **_data(df, ctx, release, who, Links(src)))
