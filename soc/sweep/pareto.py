"""Non-dominated (Pareto) points, every objective minimized.

A point dominates another when it is no worse in every objective and strictly better in
at least one. Points with a missing (NaN) objective are never on a front and dominate
nothing. Equal points do not dominate each other: both stay on the front.

Two objectives use a sort and one sweep (O(n log n)); more use pairwise comparison in
blocks (O(n^2 k) time, O(block x n) memory).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

BLOCK = 512


def _front_2d(v: np.ndarray) -> np.ndarray:
    n = len(v)
    keep = np.zeros(n, dtype=bool)
    order = np.lexsort((v[:, 1], v[:, 0]))  # by x, then y
    best_prev = np.inf  # smallest y among points of strictly smaller x
    i = 0
    while i < n:
        j = i
        x = v[order[i], 0]
        while j < n and v[order[j], 0] == x:
            j += 1
        y0 = v[order[i], 1]  # smallest y of this x
        if y0 < best_prev:
            for k in range(i, j):
                if v[order[k], 1] == y0:
                    keep[order[k]] = True
        best_prev = min(best_prev, y0)
        i = j
    return keep


def _front_nd(v: np.ndarray) -> np.ndarray:
    n = len(v)
    dominated = np.zeros(n, dtype=bool)
    for start in range(0, n, BLOCK):
        block = v[start:start + BLOCK]                       # (b, k): candidates
        le = (v[None, :, :] <= block[:, None, :]).all(axis=2)  # (b, n): j no worse than i
        lt = (v[None, :, :] < block[:, None, :]).any(axis=2)   # (b, n): j better somewhere
        dominated[start:start + BLOCK] = (le & lt).any(axis=1)
    return ~dominated


def non_dominated(values) -> np.ndarray:
    """Boolean mask of the non-dominated rows of an (n, k) array (all minimized)."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 2:
        raise ValueError(f"values must be a 2-D array (points x objectives), got shape {v.shape}")
    n, k = v.shape
    mask = np.zeros(n, dtype=bool)
    valid = ~np.isnan(v).any(axis=1)
    if k == 0 or not valid.any():
        return mask
    sub = v[valid]
    mask[np.nonzero(valid)[0]] = _front_2d(sub) if k == 2 else _front_nd(sub) if k > 1 else sub[:, 0] == sub[:, 0].min()
    return mask


def eligible(df: pd.DataFrame) -> pd.Series:
    """Rows that may be on a front: evaluated and feasible."""
    ok = df["status"].eq("ok") if "status" in df else pd.Series(True, index=df.index)
    if "feasible" in df:
        ok &= df["feasible"].fillna(False).astype(bool)
    return ok


def front_mask(df: pd.DataFrame, objectives: list[str]) -> pd.Series:
    """Rows of ``df`` on the front of ``objectives`` (only ok, feasible rows count)."""
    mask = pd.Series(False, index=df.index)
    if any(m not in df.columns for m in objectives):
        return mask
    rows = df[eligible(df)]
    if rows.empty:
        return mask
    on = non_dominated(rows[objectives].astype(float).to_numpy())
    mask.loc[rows.index[on]] = True
    return mask


def pareto_table(df: pd.DataFrame, pairs: list[tuple[str, str]], id_columns: list[str]) -> pd.DataFrame:
    """The points on each two-objective front, one row per (front, point): ``front``
    ("x vs y"), ``x``, ``y`` (the metric names), the point's identity and axis columns,
    and the two values ``x_value``, ``y_value``; sorted by front, then x."""
    parts = []
    for x, y in pairs:
        if x not in df.columns or y not in df.columns:
            continue
        on = df[front_mask(df, [x, y])]
        if on.empty:
            continue
        part = on[id_columns].copy()
        part.insert(0, "y", y)
        part.insert(0, "x", x)
        part.insert(0, "front", f"{x} vs {y}")
        part["x_value"] = on[x].astype(float)
        part["y_value"] = on[y].astype(float)
        parts.append(part.sort_values(["x_value", "y_value", "point"]))
    columns = ["front", "x", "y", *id_columns, "x_value", "y_value"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
