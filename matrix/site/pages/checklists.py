"""Release checklists (checklists/*.md, and `plugin-matrix checklist`): what to check before
releasing kustomize (packager) or publishing a Go plugin (author), each item backed by
the cells that prove it.

They target the newest release into which a plugin loaded here (frames.newest_with_recipe)
and say why a newer release is not the target. The first item is the rule that decides
most failures: the same Go release on both sides, minor and patch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from matrix.site import frames, render, rules
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
    no_cgo = set(rules.no_cgo_variants(ctx))
    for v, res in frames.variant_rows(df, ctx).items():
        if v in no_cgo:
            continue  # the cgo item says it
        data = {"flags": frames.variant_desc(ctx, v), "side": side}
        one, both = res.get(side), res.get("both")
        if one is None:
            continue
        cells = [str(one["cell_a"]), str(one["cell_b"])] + ([str(both["cell_b"])] if both is not None else [])
        if one["package_b"]:
            data["package"] = str(one["package_b"])
        if one["outcome_b"] == "loads":
            items.append(Item("variant-loads", cells, True, data))
        elif both is not None and both["outcome_b"] == "loads":
            items.append(Item("variant-both", cells, False, data))
        elif both is not None:
            items.append(Item("variant-never", cells, False, data))
        elif side == "host" and v == "noplugin":
            items.append(Item("variant-host-never", cells, False, data))
        else:
            items.append(Item("variant-unless-both", cells, False, data))
    return items


def _go_item(df: pd.DataFrame, release: str, who: str) -> Item | None:
    """The same-Go-release rule: this release's numbers and the whole dataset's."""
    rel = rules.go_rule(df[df["host_release"] == release])
    if not rel["relations"]:
        return None
    everywhere = rules.go_rule(df)
    cells = [c for r in rel["relations"] for c in r["examples"]]
    data = {"who": who, "release": rel, "all": everywhere}
    return Item("go", cells, rel["other_loads"] == rel["other"], data)


def _min_go_item(df: pd.DataFrame, ctx: Context, release: str) -> Item | None:
    """The minimum Go of the release (its go.mod), the Go releases a plugin loaded with,
    and those that could not build it."""
    d = frames.baseline(df[df["host_release"] == release])
    ok = d[(d["outcome"] == "loads") & (d["host_go"] == d["plugin_go"])]
    broke = d[d["host_build_status"] == "failed"] if "host_build_status" in d.columns else d.iloc[0:0]
    mins = ctx.min_go(release)
    if ok.empty and not mins:
        return None
    loaded = sorted(frames.uniq(frames.go_column(ok, "host")), key=frames.version_key)
    failed = sorted(frames.uniq(frames.go_column(broke, "host")), key=frames.version_key)
    why = frames.short_error(broke["error"].iloc[0]) if not broke.empty else ""
    cells = [str(ok.loc[frames.go_column(ok, "host") == g, "cell"].iloc[0]) for g in loaded]
    cells += [str(broke.loc[frames.go_column(broke, "host") == g, "cell"].iloc[0]) for g in failed]
    data = {"release": release, "min_go": mins, "loaded": loaded, "failed": failed, "why": why}
    return Item("min-go", cells, True, data)


def _cgo_item(df: pd.DataFrame, ctx: Context, who: str) -> Item | None:
    d = rules.official_cells(df, ctx)
    if d.empty:
        return None
    v = str(d["host_variant"].iloc[0])
    data = {
        "who": who,
        "flags": frames.variant_desc(ctx, v),
        "loads": frames.count(d, "loads"),
        "tried": len(d),
        "error_class": str(d["class"].iloc[0]),
    }
    return Item("cgo", [str(c) for c in d["cell"][:3]], False, data)


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
    for item in (_go_item(df, release, who), _min_go_item(df, ctx, release), _cgo_item(df, ctx, who)):
        if item is not None:
            out.append(item)
    out += _variant_items(df, ctx, "host" if who == "packager" else "plugin")
    out += _pins_items(df, ctx, who)
    plat = _platform_item(df, ctx, who)
    if plat:
        out.append(plat)
    ok = frames.recipe_cells(df, release)
    if not ok.empty:
        out.append(Item("recipe", list(ok["cell"][:3]), True, {"release": release}))
    return out


def target(df: pd.DataFrame, ctx: Context) -> str | None:
    """The release the checklists are for: the newest into which a plugin loaded here
    (else the newest measured)."""
    return frames.newest_with_recipe(df, ctx) or frames.newest_release(df, ctx)


def _data(df: pd.DataFrame, ctx: Context, release: str, who: str, links: Links) -> dict[str, Any]:
    proven = frames.newest_with_recipe(df, ctx)
    return {
        "who": who,
        "release": release,
        "reference": ctx.reference.get("release"),
        "items": items(df, ctx, release, who),
        "links": links,
        "proven": proven,
        "loaded_here": not frames.recipe_cells(df, release).empty,
        "newer": rules.newer_than_target(df, ctx, release),
    }


def markdown(df: pd.DataFrame, ctx: Context, release: str, who: str, links: Links) -> str:
    """The checklist as Markdown (`plugin-matrix checklist` prints it)."""
    return render.text("checklists/checklist.md.j2", **_data(df, ctx, release, who, links))


def min_go_rows(df: pd.DataFrame, ctx: Context) -> list[dict[str, Any]]:
    """Per release (newest first): the minimum Go of its go.mod and the Go releases a
    plugin loaded with."""
    rows = []
    for rel in reversed(frames.releases_in(df, ctx)):
        ok = frames.recipe_cells(df, rel)
        ok = ok[ok["host_go"] == ok["plugin_go"]]
        rows.append(
            {
                "release": rel,
                "min_go": ctx.min_go(rel),
                "loaded": sorted(frames.uniq(frames.go_column(ok, "host")), key=frames.version_key),
            }
        )
    return rows


def page(df: pd.DataFrame, ctx: Context, release: str | None, who: str, src: str) -> str:
    title = "Checklist for kustomize releasers" if who == "packager" else "Checklist for plugin authors"
    if release is None:
        return render.page("checklists/empty.md.j2", "Checklist")
    return render.page(
        "checklists/page.md.j2",
        title,
        min_go=min_go_rows(df, ctx),
        **_data(df, ctx, release, who, Links(src)),
    )
