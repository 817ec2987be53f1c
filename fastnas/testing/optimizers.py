"""Contract of an ask/tell optimizer made by ``fastnas.search.make``."""
from __future__ import annotations

import numpy as np

from ..spaces import SearchSpace


def _objective(space: SearchSpace, cells) -> np.ndarray:
    """A deterministic, isomorphism-invariant test objective in [0, 100)."""
    k = space.key(cells)
    return ((k * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)).astype(np.float64) % 10_000 / 100.0


def _drive(opt, space, rounds: int, batch: int, seen: set) -> list:
    asked = []
    mf = getattr(opt, "multi_fidelity", False)  # may ask a told cell again, at a higher epoch only
    trained: dict = {}
    for _ in range(rounds):
        cells = opt.ask(batch)
        keys = space.key(cells).tolist()
        assert len(cells) <= batch and len(cells) > 0, "ask(n) returned no cells or more than n"
        epochs = opt.epochs_of(cells).tolist() if mf else [0] * len(keys)
        if mf:
            assert all(e > trained.get(k, 0) for k, e in zip(keys, epochs)), \
                "ask returned a cell again without training it further"
            assert not ({k for k in keys if k not in trained} & seen), \
                "ask returned a cell isomorphic to one asked before"
        else:
            assert not (set(keys) & seen), "ask returned a cell isomorphic to one asked before"
        assert len(set(keys)) == len(keys), "ask returned two isomorphic cells in one batch"
        assert space.is_valid(cells).all() or getattr(space, "includes_invalid", False), "ask returned invalid cells"
        seen.update(keys)
        trained.update(zip(keys, epochs))
        values = _objective(space, cells)
        needs_curves = getattr(opt, "needs_curves", False)
        extra = {"curves": [np.full(e, v) for e, v in zip(epochs, values)]} if needs_curves else {}
        opt.tell(cells, values, **extra)
        asked.append((keys, epochs, values.tolist()))
    return asked


def check_optimizer(name: str, space: SearchSpace, seed: int = 0, rounds: int = 4, batch: int = 4,
                    **params) -> None:
    """Raise ``AssertionError`` on the first broken promise of optimizer ``name`` on ``space``.

    Checks: same seed -> same proposals; no repeated cell up to isomorphism (a multi-fidelity optimizer,
    ``multi_fidelity = True``, may ask a cell again only at a higher epoch, ``epochs_of``; it is told
    a flat curve where it ``needs_curves``); ``best()`` is the best told
    value; misuse (cells never asked, wrong lengths, NaN values) raises ``ValueError``/``TypeError``;
    ``state_dict``/``load_state_dict`` mid-run continue exactly as the uninterrupted run.
    """
    from ..search import make

    a = make(name, space, seed=seed, **params)
    b = make(name, space, seed=seed, **params)
    run_a = _drive(a, space, rounds, batch, set())
    run_b = _drive(b, space, rounds, batch, set())
    assert run_a == run_b, f"{name}: the same seed gave different proposals"

    cell, value = a.best()
    best_told = max(v for *_, values in run_a for v in values)
    assert len(cell) == 1 and value == best_told, f"{name}.best() is not the best told value"
    assert _objective(space, cell)[0] == value, f"{name}.best() returned a cell with another value"

    opt = make(name, space, seed=seed, **params)
    cells = opt.ask(2)
    for bad_values, what in (([1.0], "wrong length"), ([np.nan, 1.0], "NaN")):
        try:
            opt.tell(cells, bad_values)
        except (ValueError, TypeError):
            pass
        else:
            raise AssertionError(f"{name}.tell accepted {what} values")
    stranger = space.mutate(space.mutate(cells[:1], seed=seed + 7), seed=seed + 8)
    if not np.isin(space.key(stranger), space.key(cells)).any():
        try:
            opt.tell(stranger, [1.0])
        except (ValueError, KeyError):
            pass
        else:
            raise AssertionError(f"{name}.tell accepted a cell that was never asked")

    first = make(name, space, seed=seed, **params)
    _drive(first, space, 2, batch, set())
    state = first.state_dict()
    cont_a = _drive(first, space, 2, batch, set())
    second = make(name, space, seed=seed + 99, **params)
    second.load_state_dict(state)
    cont_b = _drive(second, space, 2, batch, set())
    assert cont_a == cont_b, f"{name}: a restored state did not continue like the uninterrupted run"
