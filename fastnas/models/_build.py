"""``build(space, cell)``: the torch network of one cell of any space (dispatch on ``space.name``)."""
from __future__ import annotations

from typing import Any

__all__ = ["build", "space_name", "single_row"]


def space_name(space: Any) -> str:
    """The short name of a space given as an instance (``space.name``), a class, or a string."""
    name = space if isinstance(space, str) else getattr(space, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"space must be a SearchSpace or a space name, got {type(space).__name__}")
    return name.lower()


def single_row(cell: Any, field: str):
    """Field ``field`` of a batch of one cell (or of a plain array for that field), as a numpy array
    without the batch axis."""
    import numpy as np

    if hasattr(cell, "arrays") and hasattr(cell, "__len__"):
        if len(cell) != 1:
            raise ValueError(f"build takes a single cell (a batch of one), got a batch of {len(cell)}")
        arrays = cell.arrays()
        if field not in arrays:
            raise TypeError(f"{type(cell).__name__} has no field {field!r}; is it a cell of another space?")
        return np.asarray(arrays[field])[0]
    return np.asarray(cell)


def build(space, cell, *, num_classes: int = 10, in_channels: int = 3, width: int | None = None, seed=0, **kw):
    """The torch network of a single cell.

    Parameters
    ----------
    space : SearchSpace or str
        ``"nb201"``, ``"nb101"``, ``"darts"`` or ``"nbgraph"`` (or an instance; dispatch on ``.name``).
    cell : Cells
        A batch of one cell of that space (``cells[i]``).
    num_classes, in_channels : int
        Classifier outputs; input channels (image spaces) or node-feature dimension (``nbgraph``).
    width : int, optional
        The space's width knob: NB201 ``C`` (16), NB101 stem channels (128), DARTS ``C`` (32, as NAS-Bench-301),
        NAS-Bench-Graph hidden size (64; ``dataset="cora"`` etc. gives the benchmark's hidden size, pre/post
        layers, features and classes, overriding ``num_classes`` and ``in_channels``).
    seed : int >= 0 or numpy Generator
        The initial weights depend on this alone (default 0; same seed, same weights). They are drawn under
        ``torch.random.fork_rng`` with the CPU generator seeded from ``seed``, so torch's global RNG state is the
        same before and after; ``build(..., seed=s)`` equals ``torch.manual_seed(s); build(...)`` without that
        call's side effect.
    **kw
        Further constructor arguments of the space's network class (e.g. ``N=`` for NB201,
        ``layers=`` for DARTS, ``dataset=`` / ``num_post=`` for NAS-Bench-Graph).

    Raises
    ------
    ValueError
        Unknown space, a batch of more than one cell, invalid cell arrays or sizes.
    TypeError
        A cell of another space; ``seed`` not an int / Generator.
    ImportError
        torch is not installed (``pip install "fastnas[torch]"``).

    Returns
    -------
    torch.nn.Module
        Image spaces: ``forward(x)`` maps (batch, in_channels, H, W) to (batch, num_classes) logits.
        ``nbgraph``: ``forward(x, edge_index)`` maps node features to per-node logits.

    Examples
    --------
    >>> import torch
    >>> from fastnas.spaces import NB201
    >>> cell = NB201.from_strings(["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    ...                            "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"])
    >>> net = build("nb201", cell, width=4, N=1, seed=0)
    >>> net(torch.zeros(2, 3, 8, 8)).shape
    torch.Size([2, 10])
    >>> again = build("nb201", cell, width=4, N=1, seed=0)
    >>> all(bool((a == b).all()) for a, b in zip(net.parameters(), again.parameters()))
    True
    """
    from .._extras import require

    require("torch", "fastnas.models.build")  # else: MissingExtraError saying pip install "fastnas[torch]"
    name = space_name(space)
    if name == "nb201":
        from .nb201 import NB201Network

        if width is not None:
            kw["C"] = width
        return NB201Network(single_row(cell, "ops"), num_classes=num_classes, in_channels=in_channels, seed=seed,
                            **kw)
    if name == "nb101":
        from .nb101 import NB101Network

        if width is not None:
            kw["stem_channels"] = width
        return NB101Network(single_row(cell, "matrix"), single_row(cell, "ops"), num_classes=num_classes,
                            in_channels=in_channels, seed=seed, **kw)
    if name == "darts":
        from .darts import DARTSNetwork

        if width is not None:
            kw["C"] = width
        return DARTSNetwork.from_cell(cell, num_classes=num_classes, in_channels=in_channels, seed=seed, **kw)
    if name == "nbgraph":
        from .nbgraph import GNNNetwork

        if width is not None:
            kw["hidden"] = width
        if kw.get("dataset") is None:  # with dataset=, features and classes are the dataset's
            kw.update(num_classes=num_classes, in_channels=in_channels)
        return GNNNetwork.from_cell(cell, seed=seed, **kw)
    raise ValueError(f"no network builder for space {name!r}; valid: darts, nb101, nb201, nbgraph")
