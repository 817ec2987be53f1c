"""The starts of evolution and local search against naszilla's / NASLib's rules (docs/methods.md):
evolution's ``n_init`` (naszilla: 10 random cells, then tournaments while the population grows) and its
default (NASLib: ``population`` random cells first); local search's ``n_restart`` (naszilla: restart
from the best of 10 new random cells) and its default (NASLib: one random cell)."""
from __future__ import annotations

import copy

import numpy as np

from fastnas.search import make
from fastnas.spaces import get_space


def _value(sp, cells):
    """A fixed pseudo-random objective of the cell (its key hashed into [0, 1))."""
    k = sp.key(cells).astype(np.uint64)
    return ((k * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(11)).astype(np.float64) / 2.0 ** 53


def _spy_children(opt):
    calls = []
    orig = opt._children

    def spy(parents):
        calls.append(parents)
        return orig(parents)

    opt._children = spy
    return calls


def test_evolution_default_asks_population_random_cells_first():
    sp = get_space("nb201")
    opt = make("evolution", sp, seed=0)
    calls = _spy_children(opt)
    for _ in range(30):
        c = opt.ask(1)
        opt.tell(c, _value(sp, c))
    assert calls == []
    opt.ask(1)
    assert len(calls) == 1


def test_evolution_n_init_starts_as_naszilla_tournaments_over_the_growing_population():
    sp = get_space("nb201")
    opt = make("evolution", sp, seed=0, n_init=10, population=29)
    c = opt.ask(10)
    opt.tell(c, _value(sp, c))
    calls = _spy_children(opt)
    for step in range(40):
        n_told = opt.n_told
        pop = np.arange(max(0, n_told - 29), n_told)     # naszilla: all told while < 29, then the last 29
        rng = copy.deepcopy(opt._rng)
        draw = rng.integers(0, len(pop), size=10)        # a tournament of 10, with replacement
        want = pop[draw[np.argmax(opt._y[pop][draw])]]   # its best (naszilla: lowest loss)
        c = opt.ask(1)
        assert len(calls) == step + 1                    # every proposal after the 10 is a mutation
        assert calls[-1] == opt.cells_[np.array([want])]
        opt.tell(c, _value(sp, c))


def _run_until_restart_done(opt, sp, max_asks=3000):
    start = None
    for _ in range(max_asks):
        c = opt.ask(1)
        if start is None and opt._restarts == 1:
            start = opt._restart_at
        opt.tell(c, _value(sp, c))
        if start is not None and opt._restart_at == -1:
            return start
    raise AssertionError("no restart")


def test_local_search_n_restart_starts_from_the_best_of_new_random_cells():
    sp = get_space("nb201")
    opt = make("local_search", sp, seed=0, n_restart=10)
    s = _run_until_restart_done(opt, sp)
    assert opt.n_told == s + 10                          # naszilla: 10 new random cells per restart
    assert opt._center == s + int(np.argmax(opt._y[s:s + 10]))
    # the default (NASLib): one random cell, which becomes the centre
    opt = make("local_search", sp, seed=0)
    s = _run_until_restart_done(opt, sp)
    assert opt.n_told == s + 1 and opt._center == s
