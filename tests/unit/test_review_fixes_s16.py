"""Findings of the fresh-user review of 2026-11-30 (session 16): each one a behaviour that now holds."""
import numpy as np
import pytest

from fastnas.spaces import NB101, NB201, get_space


def test_nb101_shared_hash_table_cannot_be_written_through_the_returned_object():
    sp = NB101()
    cells = sp.sample(3, seed=0)
    want = sp.hash(cells)
    t = sp.hash_table(progress=False)
    for arr in (t.keys, t.hashes, t._sorted, t._order):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = arr[1]
    assert (sp.hash(cells) == want).all() and (NB101().hash(cells[:1]) == want[:1]).all()


@pytest.mark.parametrize("bad", [b"|none~0|", bytearray(b"x"), None, 5, 3.5])
def test_nb201_string_converters_refuse_what_is_not_a_str_or_an_iterable_of_them(bad):
    for f in (NB201.strings_to_index, NB201.from_strings):
        with pytest.raises(TypeError, match="bytes: decode|iterable of them"):
            f(bad)


def test_nb101_from_strings_refuses_bytes_and_non_iterables():
    assert NB101.from_strings("io:01/00").n_vertices.tolist() == [2]
    for bad in (b"io:01/00", None):
        with pytest.raises(TypeError, match="bytes: decode|iterable of them"):
            NB101.from_strings(bad)


@pytest.mark.parametrize("name,kw", [("nasbot", {"encoding": "path"}), ("nasbot", {"encoding": "adjacency"}),
                                     ("npenas", {"encoding": "path"}), ("npenas", {"encoding": "adjacency"})])
def test_graph_optimizers_refuse_a_non_graph_encoding_before_any_query(name, kw):
    from fastnas.search import make

    with pytest.raises(ValueError, match="encoding must be 'gcn'"):
        make(name, get_space("nb201"), seed=0, **kw)


def test_npenas_with_another_predictor_may_use_another_encoding():
    from fastnas.search import make

    opt = make("npenas", get_space("nb201"), seed=0, encoding="adjacency", predictor="rf")
    assert len(opt.ask(2)) == 2


def test_lce_naslib_on_no_curves_returns_an_empty_result():
    from fastnas.predictors import make
    from fastnas.predictors.lc import Curves

    out = make("lce_naslib", final_epoch=98, seed=0).predict(Curves(val_acc=np.zeros((0, 20))))
    assert np.asarray(out).shape == (0,)


def test_lce_naslib_fits_with_blas_limited_to_one_thread(monkeypatch):
    """The L-BFGS-B fits run inside threadpool_limits(1) (a threaded BLAS spins on tiny vectors)."""
    import threadpoolctl

    from fastnas.predictors import make
    from fastnas.predictors.lc import Curves

    seen = []
    real = threadpoolctl.threadpool_limits

    def spy(*a, **k):
        seen.append((a, k))
        return real(*a, **k)

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", spy)
    y = 90 - 30 * np.arange(1, 11, dtype=float) ** -0.8
    make("lce_naslib", final_epoch=50, seed=0).predict(Curves(val_acc=y[None, :]))
    assert any(k.get("limits") == 1 for _, k in seen)
