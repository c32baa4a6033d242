"""Doctor agreement (doctor-agreement.md): every prediction of `plugin-matrix doctor`
compared with what happened, and each disagreement."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matrix.site import frames, render
from matrix.site.context import Context
from matrix.site.links import DOCTOR_PAGE, Links

COLUMNS = [
    "cell",
    "outcome",
    "class",
    "package",
    "host_release",
    "host_go",
    "host_toolchain",
    "plugin_go",
    "plugin_toolchain",
    "host_variant",
    "plugin_variant",
    "plugin_pins",
    "doctor_prediction",
    "doctor_error",
    "doctor_class",
    "doctor_package",
]


def summary(df: pd.DataFrame) -> dict[str, Any] | None:
    """The agreement of the doctor's predictions with the outcomes (None: no prediction)."""
    t = frames.tried(df[COLUMNS])  # filters below copy only these
    have = t[(t["doctor_prediction"] != "") | (t["doctor_error"] != "")]
    if have.empty:
        return None
    pred = have["doctor_prediction"].where(have["doctor_error"] == "", "error")
    agree = have[pred == have["outcome"]]
    both_fail = have[
        (pred == "fails")
        & (have["outcome"] == "fails")
        & (have["class"] != "")
        & (have["doctor_class"] != "")
    ]
    pkg = both_fail[(both_fail["package"] != "") & (both_fail["doctor_package"] != "")]
    dis = have[
        (pred != have["outcome"])
        | (
            (pred == "fails")
            & (have["class"] != "")
            & (have["doctor_class"] != "")
            & (have["class"] != have["doctor_class"])
        )
        | (
            (have["package"] != "")
            & (have["doctor_package"] != "")
            & (have["package"] != have["doctor_package"])
        )
    ]
    rows = []
    for r in frames.records(dis.head(frames.TABLE_CAP)):
        rows.append(
            {
                "cell": str(r["cell"]),
                "host_release": r["host_release"],
                "gos": f"{frames.go_of(r, 'host')} ← {frames.go_of(r, 'plugin')}",
                "variants": f"{r['host_variant']}/{r['plugin_variant']}/{r['plugin_pins']}",
                "doctor_prediction": r["doctor_prediction"],
                "doctor_class": str(r["doctor_class"]),
                "doctor_package": r["doctor_package"],
                "outcome": r["outcome"],
                "error_class": str(r["class"]),
                "package": r["package"],
            }
        )
    return {
        "cells": len(have),
        "agree": len(agree),
        "pct": f"{100 * len(agree) / len(have):.0f}",
        "grid": [
            (p, *(int(((pred == p) & (have["outcome"] == o)).sum()) for o in ("loads", "fails")))
            for p in ("loads", "fails", "error")
        ],
        "both_fail": len(both_fail),
        "class_ok": int((both_fail["doctor_class"] == both_fail["class"]).sum()),
        "pkg": len(pkg),
        "same_pkg": int((pkg["package"] == pkg["doctor_package"]).sum()),
        "disagreements_total": len(dis),
        "disagreements": rows,
    }


def page(df: pd.DataFrame, ctx: Context) -> str:
    return render.page(
        "doctor.md.j2",
        "Doctor agreement",
        links=Links(DOCTOR_PAGE),
        ctx=ctx,
        s=summary(df),
        cap=frames.TABLE_CAP,
    )
