"""Fitted regression trees as flat arrays, evaluated for all trees and all rows at once.

scikit-learn trees (random forest members, NGBoost base learners) are packed into five concatenated
arrays (left, right, feature, threshold, value, with per-tree root offsets). This gives a safe
persistence format (plain numeric arrays) and one vectorised traversal: every step advances every
(tree, row) pair by one level, so the number of Python iterations is the depth, not the row count.
"""
from __future__ import annotations

import numpy as np


def pack_trees(trees, columns=None) -> dict[str, np.ndarray]:
    """Pack fitted ``sklearn.tree`` estimators. ``columns[t]`` maps tree ``t``'s feature indices to
    columns of the full matrix (for column-subsampled learners)."""
    left, right, feat, thr, val, roots = [], [], [], [], [], []
    off = 0
    for t, est in enumerate(trees):
        tr = est.tree_
        n = tr.node_count
        leaf = tr.children_left < 0
        f = tr.feature.astype(np.int64).copy()
        if columns is not None:
            cols = np.asarray(columns[t], dtype=np.int64)
            f = np.where(leaf, 0, cols[np.clip(f, 0, None)])
        f[leaf] = 0
        left.append(np.where(leaf, np.arange(n), tr.children_left) + off)
        right.append(np.where(leaf, np.arange(n), tr.children_right) + off)
        feat.append(f)
        thr.append(tr.threshold.astype(np.float64))
        val.append(tr.value.reshape(n, -1)[:, 0].astype(np.float64))
        roots.append(off)
        off += n
    return {
        "left": np.concatenate(left).astype(np.int64),
        "right": np.concatenate(right).astype(np.int64),
        "feature": np.concatenate(feat).astype(np.int64),
        "threshold": np.concatenate(thr),
        "value": np.concatenate(val),
        "roots": np.asarray(roots, dtype=np.int64),
        "leaf": (np.concatenate(left) == np.arange(off)).astype(bool),
    }


def predict_trees(packed: dict[str, np.ndarray], F: np.ndarray) -> np.ndarray:
    """(n_trees, N) predictions of every packed tree on every row of ``F``."""
    roots = packed["roots"]
    node = np.repeat(roots[:, None], len(F), axis=1)
    rows = np.broadcast_to(np.arange(len(F))[None, :], node.shape)
    left, right, feat, thr, leaf = (packed[k] for k in ("left", "right", "feature", "threshold", "leaf"))
    while True:
        active = ~leaf[node]
        if not active.any():
            break
        x = F[rows, feat[node]]
        # sklearn's rule: go left when x <= threshold
        node = np.where(active, np.where(x <= thr[node], left[node], right[node]), node)
    return packed["value"][node]


def trees_state(packed: dict[str, np.ndarray], prefix: str = "trees") -> dict:
    return {f"{prefix}_{k}_": v for k, v in packed.items()}


def trees_from_state(state: dict, prefix: str = "trees") -> dict:
    keys = ("left", "right", "feature", "threshold", "value", "roots", "leaf")
    return {k: np.asarray(state[f"{prefix}_{k}_"]) for k in keys}
