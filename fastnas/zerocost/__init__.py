"""Zero-cost proxies: score untrained networks from one minibatch (or no data at all).

``score(space, cells, proxy)`` builds each cell's network with ``fastnas.models.build`` and returns one
value per row; ``score_models`` does the same for any torch networks; ``score_table`` computes several
proxies per network at once. Definitions: Abdelfattah et al. 2021 (ICLR), Mellor et al. 2021 (nwot),
Lopes et al. 2021 (epe_nas), Lin et al. 2021 (zen); see each function's docstring.

torch is an optional dependency: importing this package needs it.
"""
from __future__ import annotations

from .._extras import require as _require

_require("torch", "fastnas.zerocost")  # else: MissingExtraError saying pip install "fastnas[torch]"

from ._activation import epe_nas, jacob_cov, nwot, zen
from ._data import check_xy
from ._gradient import fisher, grad_norm, grasp, plain, snip, synflow
from ._score import NASLIB_NAMES, PROXIES, cell_keys, row_seed, score, score_models, score_table
from ._static import flops, l2_norm, params

__all__ = [
    "score", "score_models", "score_table", "PROXIES", "NASLIB_NAMES", "row_seed", "cell_keys", "check_xy",
    "synflow", "snip", "grasp", "fisher", "grad_norm", "plain", "jacob_cov", "nwot", "epe_nas", "zen",
    "l2_norm", "params", "flops",
]
