"""NB101 encodings (vectorised numpy on pruned, valid cells; the path kernels are compiled).

Definitions: the project's NAS definitions notes (NAS-DEFINITIONS, section 1; Ying et al. 2019, nasbench) and White et al., "A Study on Encodings
for Neural Architecture Search" (NeurIPS 2020) for the adjacency/path families.

=================  ===========  ==========================================================================
kind               shape/dtype  content
=================  ===========  ==========================================================================
``adjacency``      (N,36) u8    cell padded to 7 vertices (output moved to vertex 6, padded vertices have
                                no edges): 21 upper-triangular bits row-major (i < j), then a 3-way one-hot
                                (conv3x3, conv1x1, maxpool3x3) per inner vertex 1..5 (all zero if padded)
``adjacency_cat``  (N,14) f32   indices (0..20) of the present edges of the padded matrix, ascending,
                                padded with 21 to 9 slots; then one value per inner vertex 1..5:
                                conv1x1 0.0, conv3x3 0.5, maxpool3x3 1.0, padded vertex -1.0
``adjacency_cont`` (N,27) f32   the 21 bits, the 5 op values as above, then the number of edges
``path``           (N,364) u8   one-hot of the input -> output paths (index sum_i 3^i (o_i + 1))
``path_trunc``     (N,k) u8     the first ``k`` entries of ``path`` (default 40: paths of length <= 3)
``path_cat``       (N,8) i16    the path indices ascending, padded with -1 (a valid cell has <= 8 paths)
``gcn``            dict         ``operations`` (N,7,5) f32 one-hot over (input, conv3x3, conv1x1,
                                maxpool3x3, output), zero rows for padding; ``adjacency`` (N,7,7) f32:
                                (A + I) row-normalised over the real vertices (each real row sums to 1,
                                padded rows and columns 0), in the cell's own vertex order (output at
                                ``n_vertices - 1``); ``mask`` (N,7) bool real vertices; ``n_vertices`` (N,)
=================  ===========  ==========================================================================
"""
from __future__ import annotations

import numpy as np

PATH_CAT_WIDTH = 8
_IU = np.triu_indices(7, 1)
_OP_VALUE = np.array([0.5, 0.0, 1.0], np.float32)  # code 0 conv3x3, 1 conv1x1, 2 maxpool (naszilla values)


def pad7(matrix: np.ndarray, ops: np.ndarray, nv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells padded to 7 vertices with the output moved to vertex 6 (padded vertices: no edges, op -3)."""
    n = len(nv)
    v = np.arange(7)[None, :]
    last = nv.astype(np.int64)[:, None] - 1
    slot = np.where(v < last, v, np.where(v == last, 6, v - 1))  # old vertex -> new vertex
    rows = np.arange(n)[:, None, None]
    m7 = np.zeros((n, 7, 7), np.uint8)
    m7[rows, slot[:, :, None], slot[:, None, :]] = matrix
    o7 = np.full((n, 7), -3, np.int8)
    o7[np.arange(n)[:, None], slot] = ops
    return m7, o7


def adjacency(m7: np.ndarray, o7: np.ndarray) -> np.ndarray:
    bits = m7[:, _IU[0], _IU[1]]
    inner = o7[:, 1:6]
    onehot = (inner[:, :, None] == np.arange(3, dtype=np.int8)[None, None, :]).astype(np.uint8)
    return np.concatenate([bits, onehot.reshape(len(o7), 15)], axis=1)


def _op_values(o7: np.ndarray) -> np.ndarray:
    inner = o7[:, 1:6].astype(np.int64)
    return np.where(inner >= 0, _OP_VALUE[np.clip(inner, 0, 2)], np.float32(-1.0)).astype(np.float32)


def adjacency_cat(m7: np.ndarray, o7: np.ndarray) -> np.ndarray:
    bits = m7[:, _IU[0], _IU[1]].astype(bool)
    idx = np.where(bits, np.arange(21)[None, :], 21)
    idx.sort(axis=1)
    return np.concatenate([idx[:, :9].astype(np.float32), _op_values(o7)], axis=1)


def adjacency_cont(m7: np.ndarray, o7: np.ndarray) -> np.ndarray:
    bits = m7[:, _IU[0], _IU[1]].astype(np.float32)
    return np.concatenate([bits, _op_values(o7), bits.sum(axis=1, keepdims=True)], axis=1)


def path_cat(path: np.ndarray) -> np.ndarray:
    idx = np.where(path.astype(bool), np.arange(path.shape[1], dtype=np.int16)[None, :], np.int16(32767))
    idx.sort(axis=1)
    out = idx[:, :PATH_CAT_WIDTH]
    out[out == 32767] = -1
    return np.ascontiguousarray(out, dtype=np.int16)


def gcn(matrix: np.ndarray, ops: np.ndarray, nv: np.ndarray) -> dict[str, np.ndarray]:
    n = len(nv)
    mask = np.arange(7)[None, :] < nv[:, None]
    col = np.select([ops == -1, ops == 0, ops == 1, ops == 2, ops == -2], [0, 1, 2, 3, 4], default=-1)
    operations = (col[:, :, None] == np.arange(5)[None, None, :]).astype(np.float32)
    a = matrix.astype(np.float32) + np.eye(7, dtype=np.float32)[None] * mask[:, :, None]
    a *= mask[:, None, :]
    rowsum = a.sum(axis=2, keepdims=True)
    adj = np.divide(a, rowsum, out=np.zeros_like(a), where=rowsum > 0)
    return {"operations": operations, "adjacency": adj, "mask": mask, "n_vertices": nv.copy()}
