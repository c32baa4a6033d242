"""Isolating pairs: two cells that differ in the inputs under study and in nothing else."""

from __future__ import annotations

import pandas as pd

from matrix.dataset.frame import KEY_COLUMNS


def isolating_pairs(df: pd.DataFrame, vary: list[str], reference: dict[str, str]) -> pd.DataFrame:
    """Pairs of cells identical in every input but `vary`.

    Side `a` is a cell matching `reference` (which must fix every column in `vary` and
    may fix others, e.g. the release); side `b` is a cell equal to it in all other
    inputs and different in at least one `vary` column. Columns come back suffixed
    `_a` and `_b`, sorted by the b side's inputs.
    """
    missing = [c for c in vary if c not in reference]
    if missing:
        raise ValueError(f"reference must fix {missing}")
    rest = [c for c in KEY_COLUMNS if c not in vary]
    sel = pd.Series(True, index=df.index)
    for col, val in reference.items():
        sel &= df[col] == val
    a = df[sel]
    differs = pd.Series(False, index=df.index)
    for col in vary:
        differs |= df[col] != reference[col]
    b = df[differs]
    if a.empty or b.empty:
        return pd.DataFrame(columns=[f"{c}_a" for c in df.columns] + [f"{c}_b" for c in df.columns])
    left = a.rename(columns={c: f"{c}_a" for c in df.columns})
    right = b.rename(columns={c: f"{c}_b" for c in df.columns})
    pairs = left.merge(right, left_on=[f"{c}_a" for c in rest], right_on=[f"{c}_b" for c in rest])
    return pairs.sort_values([f"{c}_b" for c in KEY_COLUMNS] + ["cell_b"]).reset_index(drop=True)
