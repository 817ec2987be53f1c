"""Issue 13 (new-user findings on multi-fidelity search): time-budget overshoot, best fully trained
cells, LCE searches that continue candidates."""
import numpy as np
import pytest

from fastnas.nasbench.oracle import BudgetExhausted
from fastnas.search import Oracle, make, run
from fastnas.sim.synthetic_curves import SyntheticCurveBenchmark


def test_time_budget_overshoot_is_at_most_the_last_charge_and_the_next_query_is_refused():
    bench = SyntheticCurveBenchmark(max_epoch=30)
    oracle = Oracle(bench, time_budget=20 * 3600.0)
    run(make("hyperband", bench.space, seed=0, min_epoch=2), oracle)
    h = oracle.history()
    assert oracle.time_used >= oracle.time_budget  # spent
    assert oracle.time_used - h["cost"][-1] < oracle.time_budget  # the last row started below the budget
    with pytest.raises(BudgetExhausted):
        oracle(bench.space.sample(1, seed=123), epoch=30)


def test_best_full_is_the_best_cell_at_the_final_epoch_not_a_low_fidelity_value():
    bench = SyntheticCurveBenchmark(max_epoch=30)
    opt = make("successive_halving", bench.space, seed=0, max_epoch=30, min_epoch=2)
    oracle = Oracle(bench)
    cells = opt.ask(9)
    opt.tell(cells, oracle(cells, epoch=opt.epochs_of(cells)))
    assert opt.best_full() is None  # only the first rung so far
    assert opt.best_epoch() == opt.epochs_[0] < 30
    run(opt, Oracle(bench, budget=30))
    cell, value = opt.best_full()
    ep = opt.epochs_
    assert value == opt.values_[ep == 30].max()
    assert float(bench.query(cell)[0]) == pytest.approx(value)


def test_cli_search_headline_says_surrogate_and_epoch_of_a_low_fidelity_best():
    from click.testing import CliRunner

    from fastnas.cli import main

    r = CliRunner().invoke(main, ["search", "hyperband", "--benchmark", "nb301", "--budget", "3", "--seed", "0",
                                  "-p", "eta=2.5", "--quiet"])
    assert r.exit_code == 0, r.output
    line = r.output.splitlines()[1]
    assert line.startswith("best surrogate validation accuracy ")
    assert "(no cell trained to the final epoch 98)" in line and " at epoch 98 " not in line
    assert "validation accuracy:" not in r.output


@pytest.mark.slow  # ~35 + ~50 extrapolations with x11's 11-family ensemble: 5-15 s on a busy machine
@pytest.mark.parametrize("name,kw,hours", [("evolution_lce", {"population": 10, "tournament": 3}, 2.5),
                                           ("bananas_lce", {"n_init": 10}, 4.0)])
def test_lce_searches_continue_candidates_and_the_wrapped_search_learns_from_them(name, kw, hours):
    import warnings

    bench = SyntheticCurveBenchmark(max_epoch=30)
    opt = make(name, bench.space, seed=0, fidelity=10, **kw)  # x11's extrapolator (NASLib's ensemble)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "continued none" warning
        run(opt, Oracle(bench, time_budget=hours * 3600.0))  # ~30-50 extrapolations, a few seconds each
    assert opt.n_continued_ > 0 and opt.n_stopped_ > 0
    inner = opt._inner
    assert 10 < inner.n_told <= 10 + opt.n_continued_  # the initial cells + continued ones (none stopped)
    first = set(inner._key(inner.cells_[:10]).tolist())
    assert not set(inner._key(inner.cells_[10:]).tolist()) & first  # the population took in new cells
    assert (opt.epochs_ == 30).sum() == inner.n_told


def test_lce_search_that_never_continues_a_candidate_warns():
    bench = SyntheticCurveBenchmark(max_epoch=30)
    opt = make("evolution_lce", bench.space, seed=0, fidelity=1, population=10, tournament=3, extrapolator="lce_fast")
    with pytest.warns(RuntimeWarning, match="continued none"):
        run(opt, Oracle(bench, time_budget=2 * 3600.0))
    assert opt.n_continued_ == 0 and opt.n_stopped_ > 0


def test_oracle_curves_refuses_a_list_or_a_zero_epoch_with_a_clear_error():
    bench = SyntheticCurveBenchmark(max_epoch=30)
    oracle = Oracle(bench)
    cells = bench.space.sample(2, seed=0)
    oracle(cells, epoch=10)
    with pytest.raises(TypeError, match="one int"):
        oracle.curves(cells, [5, 50])
    for bad in (0, -1, 31):
        with pytest.raises(ValueError, match="1..30"):
            oracle.curves(cells, bad)
    assert oracle.curves(cells, np.int64(10)).shape == (2, 10)


def test_lce_search_indexes_epochs_as_x11_and_checks_its_parameters():
    from fastnas.nasbench import load
    from fastnas.search.lc_extrapolation import EvolutionLCE

    bench = SyntheticCurveBenchmark(max_epoch=30)
    assert make("evolution_lce", bench.space, seed=0, max_epoch=30).extrapolation == 15  # x11: fidelity // 2
    darts = load("nb301").space
    assert make("evolution_lce", darts, seed=0, max_epoch=98).extrapolation == 48  # x11's DARTS: 97 // 2
    for kw, msg in [({"extrapolator": "lce"}, "extrapolator"), ({"fidelity": 2}, "at least 3"),
                    ({"lce_steps": 0}, "lce_steps"), ({"lce_chain": "x"}, "lce_chain")]:
        with pytest.raises(ValueError, match=msg):
            make("evolution_lce", bench.space, seed=0, max_epoch=30, **kw)
    with pytest.raises(ValueError, match="below max_epoch"):
        _ = make("evolution_lce", bench.space, seed=0, max_epoch=30, extrapolation=30).extrapolation
    # the bar holds each fully trained cell's value at epoch extrapolation + 1 (x11's 0-based full_lc[X])
    opt = make("evolution_lce", bench.space, seed=0, max_epoch=30, fidelity=10, population=4, tournament=2)
    oracle = Oracle(bench)
    cells = opt.ask(4)
    opt.tell(cells, oracle(cells, epoch=30), curves=list(oracle.curves(cells, 30)))
    want = oracle.curves(cells, 30)[:, 15]
    assert isinstance(opt, EvolutionLCE) and opt._info == pytest.approx(want.tolist())
    # same seed, same decisions; the default is x11's extrapolator with the corrected chain
    assert opt.params["extrapolator"] == "naslib" and opt.params["lce_chain"] == "metropolis"


def test_bananas_lce_decides_a_round_one_cell_at_a_time_as_x11(monkeypatch):
    """x11's BANANAS-LCE pops the round's cells one by one: a continued cell is trained to the end and its
    epoch X+1 value joins `info` before the next cell is decided (so it can raise the bar for the rest)."""
    bench = SyntheticCurveBenchmark(max_epoch=30)
    opt = make("bananas_lce", bench.space, seed=0, max_epoch=30, fidelity=5, n_init=5, top_n_percent=0.2,
               extrapolator="lce_fast", epochs=2, n_members=2, n_candidates=20)
    oracle = Oracle(bench)
    init = opt.ask(10)
    assert len(init) == 5 and (opt.epochs_of(init) == 30).all()
    opt.tell(init, oracle(init, epoch=30), curves=list(oracle.curves(init, 30)))
    X = opt.extrapolation
    opt._info = [0.0] * 5  # bar = max(info) (int(5 * 0.2) = int(6 * 0.2) = 1): 0 until a continued cell joins
    part = opt.ask(10)
    assert len(part) == 10 and (opt.epochs_of(part) == 5).all()
    monkeypatch.setattr(opt, "_extrapolate", lambda curves, x: [1e9] + [50.0] * (len(curves) - 1))
    opt.tell(part, oracle(part, epoch=5), curves=list(oracle.curves(part, 5)))
    assert (opt.n_continued_, opt.n_stopped_, len(opt._undecided)) == (1, 0, 9)  # the rest wait
    nxt = opt.ask(10)
    assert len(nxt) == 1 and opt._key(nxt)[0] == opt._key(part[:1])[0] and opt.epochs_of(nxt)[0] == 30
    y_c = oracle(nxt, epoch=30)
    v_c = float(oracle.curves(nxt, 30)[0, X])
    opt._undecided_pred = [v_c / 2] + [1e9] + [0.0] * 7  # below the new bar v_c, above the old bar 0
    opt.tell(nxt, y_c, curves=list(oracle.curves(nxt, 30)))
    assert opt._info[-1] == pytest.approx(v_c)
    assert (opt.n_continued_, opt.n_stopped_, len(opt._undecided)) == (2, 1, 7)  # 2nd stopped, 3rd continued
    assert opt._key(opt.ask(10))[0] == opt._key(part[2:3])[0]
    state = opt.state_dict()  # the waiting decisions survive save/restore
    again = make("bananas_lce", bench.space, seed=1, max_epoch=30, fidelity=5, n_init=5, top_n_percent=0.2,
                 extrapolator="lce_fast", epochs=2, n_members=2, n_candidates=20).load_state_dict(state)
    assert again._undecided == opt._undecided and again._undecided_pred == opt._undecided_pred
    assert again._await == opt._await and len(again._undecided_cells) == 7
