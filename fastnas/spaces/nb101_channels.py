"""Channel counts of the vertices of an NB101 cell (nasbench's ``compute_vertex_channels``), without torch:
used by the torch network builder (``fastnas.models.nb101``) and by NASBOT's layer masses
(``fastnas.search.otmann``)."""
from __future__ import annotations

import numpy as np


def nb101_vertex_channels(c_in: int, c_out: int, matrix: np.ndarray) -> list[int]:
    """Channels of every vertex of a pruned cell (input ``c_in``, output ``c_out``), as the benchmark sets them.

    >>> nb101_vertex_channels(128, 128, np.array([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]))
    [128, 64, 64, 128]
    """
    v = matrix.shape[0]
    ch = [0] * v
    ch[0], ch[v - 1] = c_in, c_out
    if v == 2:
        return ch
    fan_in = int(matrix[1:, v - 1].sum())  # interior vertices feeding the output
    if c_out < fan_in:
        raise ValueError(f"{c_out} output channels cannot be split among the {fan_in} vertices feeding the output; "
                         "use more channels")
    base, extra = divmod(c_out, fan_in)
    for t in range(1, v - 1):
        if matrix[t, v - 1]:
            ch[t] = base + (1 if extra > 0 else 0)
            extra -= 1 if extra > 0 else 0
    for t in range(v - 3, 0, -1):
        if not matrix[t, v - 1]:
            ch[t] = max([ch[d] for d in range(t + 1, v - 1) if matrix[t, d]] + [ch[t]])
    return ch
