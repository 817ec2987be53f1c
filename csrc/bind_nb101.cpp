// pybind11 bindings of the NB101 kernels (src/nb101*.cpp): validate and convert arrays, release the
// GIL, call the core. Every function takes (matrix (N,7,7) uint8, ops (N,7) int8, n_vertices (N,)
// uint8) exactly as fastnas/spaces/nb101_ref.py does, and raises the same exception types.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "nb101.hpp"

namespace py = pybind11;
namespace nb = fastnas::nb101;

namespace fastnas_bind {
namespace {

template <class T>
py::array_t<T, py::array::c_style> need(py::handle h, const char* name, std::vector<py::ssize_t> tail) {
    if (!py::isinstance<py::array>(h))
        throw py::type_error(std::string(name) + ": expected a numpy array");
    auto a = py::reinterpret_borrow<py::array>(h);
    if (!py::array_t<T>::check_(a))  // equivalent dtype (an unpickled array has its own dtype object)
        throw py::type_error(std::string(name) + ": expected dtype " + std::string(py::str(py::dtype::of<T>())) +
                             ", got " + std::string(py::str(a.dtype())));
    if (a.ndim() != static_cast<py::ssize_t>(1 + tail.size()))
        throw py::value_error(std::string(name) + ": expected " + std::to_string(1 + tail.size()) +
                              " dimensions, got " + std::to_string(a.ndim()));
    for (std::size_t k = 0; k < tail.size(); ++k)
        if (a.shape(static_cast<py::ssize_t>(k + 1)) != tail[k])
            throw py::value_error(std::string(name) + ": wrong shape");
    return contiguous<T>(a);
}

struct Rows {
    py::array_t<std::uint8_t, py::array::c_style> m;
    py::array_t<std::int8_t, py::array::c_style> o;
    py::array_t<std::uint8_t, py::array::c_style> n;
    py::ssize_t N;
    const std::uint8_t* M() const { return m.data(); }
    const std::int8_t* O() const { return o.data(); }
    const std::uint8_t* V() const { return n.data(); }
    nb::Graph graph(py::ssize_t i) const { return nb::load(M() + 49 * i, O() + 7 * i, V()[i]); }
    // The row check fused into the kernel's own pass (the row is in cache once): a malformed row records
    // its index in `bad` (the first one wins) and reads as the empty 2-vertex cell, which no kernel minds;
    // the caller raises with malformed() after the loop.
    nb::Graph checked(py::ssize_t i, py::ssize_t& bad) const {
        const std::uint8_t* m = M() + 49 * i;
        const std::int8_t* o = O() + 7 * i;
        if (nb::check_row(m, o, V()[i]) != nb::kOk) {
            if (bad < 0) bad = i;
            nb::Graph g;
            g.n = 2;
            g.op[0] = -1;
            g.op[1] = -2;
            return g;
        }
        return nb::load(m, o, V()[i]);
    }
};

[[noreturn]] void malformed(const Rows& r, py::ssize_t i) {
    throw py::value_error("row " + std::to_string(i) + ": " + nb::describe_row(r.M() + 49 * i, r.O() + 7 * i, r.V()[i]));
}

Rows rows(py::handle matrix, py::handle ops, py::handle nv, bool check_rows = true) {
    Rows r{need<std::uint8_t>(matrix, "matrix", {7, 7}), need<std::int8_t>(ops, "ops", {7}),
           need<std::uint8_t>(nv, "n_vertices", {}), 0};
    r.N = r.m.shape(0);
    if (r.o.shape(0) != r.N || r.n.shape(0) != r.N)
        throw py::value_error("matrix, ops and n_vertices must have the same number of rows");
    if (check_rows) {
        // The kernels rely on every row being well formed (0/1 strict upper triangle, op codes, padding):
        // re-check here, whatever built the arrays, and name the first bad row.
        const std::uint8_t* M = r.M();
        const std::int8_t* O = r.O();
        const std::uint8_t* v = r.V();
        py::ssize_t bad = -1;
        {
            std::optional<py::gil_scoped_release> nogil;
            if (r.N >= 4096) nogil.emplace();  // a release costs more than checking a few rows
            for (py::ssize_t i = 0; i < r.N; ++i)
                if (nb::check_row(M + 49 * i, O + 7 * i, v[i]) != nb::kOk) {
                    bad = i;
                    break;
                }
        }
        if (bad >= 0)
            throw py::value_error("row " + std::to_string(bad) + ": " +
                                  nb::describe_row(M + 49 * bad, O + 7 * bad, v[bad]));
    }
    return r;
}

struct Out {
    py::array_t<std::uint8_t> m;
    py::array_t<std::int8_t> o;
    py::array_t<std::uint8_t> n;
    explicit Out(py::ssize_t N)
        : m(std::vector<py::ssize_t>{N, 7, 7}), o(std::vector<py::ssize_t>{N, 7}), n(std::vector<py::ssize_t>{N}) {}
    void put(py::ssize_t i, const nb::Graph& g) {
        nb::store(g, m.mutable_data() + 49 * i, o.mutable_data() + 7 * i, n.mutable_data() + i);
    }
};

py::tuple from_graphs(const std::vector<nb::Graph>& gs) {
    const auto N = static_cast<py::ssize_t>(gs.size());
    Out out(N);
    for (py::ssize_t i = 0; i < N; ++i) out.put(i, gs[static_cast<std::size_t>(i)]);
    return py::make_tuple(out.m, out.o, out.n);
}

const char* const kNotInSpace = ": cell is not in the space (disconnected or more than 9 edges)";

[[noreturn]] void not_in_space(py::ssize_t row) { throw py::value_error("row " + std::to_string(row) + kNotInSpace); }

int thread_count(int threads, py::ssize_t n) {
    const py::ssize_t most = std::max<py::ssize_t>(1, n / 64);
    if (most == 1) return 1;  // small batches: no threads (and no query of the core count)
    // glibc's hardware_concurrency reads /sys on every call: ask once
    static const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    int t = threads > 0 ? threads : cores;
    return static_cast<int>(std::min<py::ssize_t>(t, most));
}

// Fingerprints of every row with the row check and the validity check fused into the one pass that reads
// it (a one-cell call used to walk its row three times); put(i, hex) stores 32 ASCII characters, or the
// empty fingerprint for hex == nullptr (a row outside the space). Raises as nb101_hash always has: the
// first malformed row of the batch, else, with raise_invalid, the first row outside the space. Once a row
// is known to raise, the MD5 work of the remaining rows is skipped (their checks still run).
template <class Put>
void fingerprints(const Rows& r, int threads, bool raise_invalid, Put put) {
    const int T = thread_count(threads, r.N);
    std::vector<py::ssize_t> first_form(static_cast<std::size_t>(T), -1), first_bad(first_form);
    std::atomic<bool> raises{false};
    {
        NoGilIf nogil(r.N >= 4);
        auto work = [&](int t, py::ssize_t lo, py::ssize_t hi) {
            py::ssize_t form = -1, bad = -1;
            for (py::ssize_t i = lo; i < hi; ++i) {
                nb::Graph g = r.checked(i, form);
                const bool valid = form != i && nb::pruned_valid(g);
                if (!valid && bad < 0) bad = i;
                if (form == i || (!valid && raise_invalid)) raises.store(true, std::memory_order_relaxed);
                if (valid && !raises.load(std::memory_order_relaxed)) {
                    char hex[32];
                    nb::fingerprint(g, hex);
                    put(i, hex);
                } else {
                    put(i, nullptr);
                }
            }
            first_form[static_cast<std::size_t>(t)] = form;
            first_bad[static_cast<std::size_t>(t)] = bad;
        };
        if (T <= 1) {
            work(0, 0, r.N);
        } else {
            std::vector<std::thread> pool;
            for (int t = 0; t < T; ++t) pool.emplace_back(work, t, r.N * t / T, r.N * (t + 1) / T);
            for (auto& th : pool) th.join();
        }
    }
    // threads cover increasing row ranges: the first thread that met one has the batch's first
    for (py::ssize_t f : first_form)
        if (f >= 0) malformed(r, f);
    if (raise_invalid)
        for (py::ssize_t b : first_bad)
            if (b >= 0) not_in_space(b);
}

// The arrays of a key -> fingerprint table (fastnas/spaces/nb101_table.py HashTable.parts): keys sorted
// ascending, the enumeration index of each sorted key, the keys in enumeration order, and 32 hex digits per
// enumeration index. Checked for dtype, shape and equal lengths; the lookup verifies each hit in O(1).
struct Table {
    py::array_t<std::uint64_t, py::array::c_style> sorted;
    py::array_t<std::int64_t, py::array::c_style> order;
    py::array_t<std::uint64_t, py::array::c_style> keys;
    py::array_t<std::uint8_t, py::array::c_style> hex;
    py::ssize_t M;
};

Table table_arrays(py::handle table) {
    if (!PyTuple_Check(table.ptr()) || PyTuple_GET_SIZE(table.ptr()) != 4)
        throw py::type_error("table: expected a tuple (sorted keys, order, keys, hex digits)");
    PyObject* t_ = table.ptr();
    Table t{need<std::uint64_t>(PyTuple_GET_ITEM(t_, 0), "table sorted keys", {}),
            need<std::int64_t>(PyTuple_GET_ITEM(t_, 1), "table order", {}),
            need<std::uint64_t>(PyTuple_GET_ITEM(t_, 2), "table keys", {}),
            need<std::uint8_t>(PyTuple_GET_ITEM(t_, 3), "table hex digits", {32}), 0};
    t.M = t.sorted.shape(0);
    if (t.order.shape(0) != t.M || t.keys.shape(0) != t.M || t.hex.shape(0) != t.M)
        throw py::value_error("table: sorted keys, order, keys and hex digits must have the same length");
    return t;
}

const char* const kBrokenTable = "the fingerprint table is inconsistent (its order does not map the key back to itself)";

}  // namespace

void register_nb101(py::module_& m) {
    register_nb101_specs(m);
    register_nb101_arrays(m);
    m.def(
        "nb101_check",
        [](py::handle matrix, py::handle ops, py::handle nv) {
            Rows r = rows(matrix, ops, nv, false);
            py::array_t<std::int8_t> err(r.N);
            auto* e = err.mutable_data();
            {
                py::gil_scoped_release nogil;
                for (py::ssize_t i = 0; i < r.N; ++i) e[i] = nb::check_row(r.M() + 49 * i, r.O() + 7 * i, r.V()[i]);
            }
            return err;
        },
        "Per-row error code of raw arrays (0 ok).");

    m.def(
        "nb101_prune",
        [](py::handle matrix, py::handle ops, py::handle nv) {
            Rows r = rows(matrix, ops, nv, false);
            Out out(r.N);
            py::array_t<bool> valid(r.N);
            auto* ok = valid.mutable_data();
            py::ssize_t bad_form = -1;
            {
                std::optional<py::gil_scoped_release> nogil;
                if (r.N >= 64) nogil.emplace();
                for (py::ssize_t i = 0; i < r.N; ++i) {
                    nb::Graph g = r.checked(i, bad_form);
                    nb::Graph h = g;
                    const bool connected = nb::prune(h);
                    ok[i] = connected && nb::n_edges(h) <= nb::kMaxEdges;
                    out.put(i, connected ? h : g);
                }
            }
            if (bad_form >= 0) malformed(r, bad_form);
            // the rows go straight into a batch: read-only views (see arrays.hpp)
            return py::make_tuple(frozen(out.m), frozen(out.o), frozen(out.n), valid);
        },
        "Pruned rows (disconnected rows unchanged; matrix, ops, n_vertices as read-only views) and the "
        "validity flag.");

    m.def("nb101_is_valid", [](py::handle matrix, py::handle ops, py::handle nv) {
        Rows r = rows(matrix, ops, nv, false);
        py::array_t<bool> valid(r.N);
        auto* ok = valid.mutable_data();
        py::ssize_t bad_form = -1;
        {
            std::optional<py::gil_scoped_release> nogil;
            if (r.N >= 64) nogil.emplace();
            for (py::ssize_t i = 0; i < r.N; ++i) {
                nb::Graph g = r.checked(i, bad_form);
                ok[i] = nb::pruned_valid(g);
            }
        }
        if (bad_form >= 0) malformed(r, bad_form);
        return valid;
    });

    m.def(
        "nb101_key",
        [](py::handle matrix, py::handle ops, py::handle nv, bool raise_invalid) {
            Rows r = rows(matrix, ops, nv, false);
            py::array_t<std::uint64_t> keys(r.N);
            auto* k = keys.mutable_data();
            py::ssize_t bad = -1, bad_form = -1;
            {
                std::optional<py::gil_scoped_release> nogil;
                if (r.N >= 64) nogil.emplace();
                for (py::ssize_t i = 0; i < r.N; ++i) {
                    k[i] = nb::key_of(r.checked(i, bad_form));
                    if (!k[i] && bad < 0) bad = i;
                }
            }
            if (bad_form >= 0) malformed(r, bad_form);
            if (raise_invalid && bad >= 0) not_in_space(bad);
            return keys;
        },
        py::arg("matrix"), py::arg("ops"), py::arg("n_vertices"), py::arg("raise_invalid") = false);

    m.def(
        "nb101_hash",
        [](py::handle matrix, py::handle ops, py::handle nv, int threads, bool raise_invalid) {
            Rows r = rows(matrix, ops, nv, false);
            py::array_t<std::uint8_t> out(std::vector<py::ssize_t>{r.N, 32});
            auto* o = out.mutable_data();
            fingerprints(r, threads, raise_invalid, [o](py::ssize_t i, const char* hex) {
                if (hex)
                    std::memcpy(o + 32 * i, hex, 32);
                else
                    std::memset(o + 32 * i, 0, 32);
            });
            return out;
        },
        py::arg("matrix"), py::arg("ops"), py::arg("n_vertices"), py::arg("threads") = 0,
        py::arg("raise_invalid") = false,
        "NAS-Bench-101 fingerprints as (N, 32) ASCII bytes; zero bytes for rows not in the space.");

    m.def(
        "nb101_hash_text",
        [](py::handle matrix, py::handle ops, py::handle nv, int threads, bool raise_invalid) {
            Rows r = rows(matrix, ops, nv, false);
            py::array out = str32_array(r.N);
            auto* o = static_cast<std::uint32_t*>(out.mutable_data());
            fingerprints(r, threads, raise_invalid, [o](py::ssize_t i, const char* hex) { put_str32(o + 32 * i, hex); });
            return out;
        },
        py::arg("matrix"), py::arg("ops"), py::arg("n_vertices"), py::arg("threads") = 0,
        py::arg("raise_invalid") = false,
        "nb101_hash as the (N,) <U32 array NB101.hash returns (\"\" for rows not in the space).");

    m.def(
        "nb101_hash_lookup",
        [](py::handle matrix, py::handle ops, py::handle nv, py::handle table, bool raise_invalid) {
            Rows r = rows(matrix, ops, nv, false);
            const Table t = table_arrays(table);
            py::array out = str32_array(r.N);
            auto* o = static_cast<std::uint32_t*>(out.mutable_data());
            const std::uint64_t* srt = t.sorted.data();
            const std::int64_t* order = t.order.data();
            const std::uint64_t* keys = t.keys.data();
            const std::uint8_t* hex = t.hex.data();
            const py::ssize_t M = t.M;
            py::ssize_t bad = -1, bad_form = -1, broken = -1;
            {
                NoGilIf nogil(r.N >= kNoGilRows);
                for (py::ssize_t i = 0; i < r.N; ++i) {
                    const std::uint64_t k = nb::key_of(r.checked(i, bad_form));
                    if (!k && bad < 0) bad = i;
                    const py::ssize_t p = std::lower_bound(srt, srt + M, k) - srt;
                    const char* h = nullptr;
                    if (p < M && srt[p] == k) {
                        // a hit is verified against the table's own key column: a table whose arrays do not
                        // agree raises instead of answering with another cell's fingerprint
                        const std::int64_t j = order[p];
                        if (j >= 0 && j < M && keys[j] == k)
                            h = reinterpret_cast<const char*>(hex + 32 * j);
                        else if (broken < 0)
                            broken = i;
                    }
                    put_str32(o + 32 * i, h);
                }
            }
            if (bad_form >= 0) malformed(r, bad_form);
            if (raise_invalid && bad >= 0) not_in_space(bad);
            if (broken >= 0)
                throw py::value_error("row " + std::to_string(broken) + ": " + kBrokenTable);
            return out;
        },
        py::arg("matrix"), py::arg("ops"), py::arg("n_vertices"), py::arg("table"), py::arg("raise_invalid") = false,
        "Fingerprints looked up by canonical key in a key -> fingerprint table (sorted keys uint64 (M,), "
        "order int64 (M,), keys uint64 (M,), hex uint8 (M, 32)) as an (N,) <U32 array: \"\" for keys the table "
        "lacks (and rows outside the space, unless raise_invalid).");

    m.def(
        "nb101_enumerate",
        [](int v) {
            if (v < 2 || v > 7) throw py::value_error("n_vertices must be in 2..7, got " + std::to_string(v));
            std::vector<nb::Graph> gs;
            std::vector<std::uint64_t> keys;
            {
                py::gil_scoped_release nogil;
                nb::enumerate(v, gs, keys);
            }
            py::tuple t = from_graphs(gs);
            py::array_t<std::uint64_t> k(static_cast<py::ssize_t>(keys.size()));
            std::copy(keys.begin(), keys.end(), k.mutable_data());
            return py::make_tuple(t[0], t[1], t[2], k);
        },
        "Unique cells with exactly v vertices: (matrix, ops, n_vertices, keys).");

    m.def("nb101_sample", [](std::uint64_t seed, std::uint64_t start, py::ssize_t n, int mode) {
        if (n < 0) throw py::value_error("n must be >= 0");
        if (mode != 0 && mode != 1) throw py::value_error("mode must be 0 (reference) or 1 (full)");
        Out out(n);
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < n; ++i) {
                fastnas::Rng rng(seed, start + static_cast<std::uint64_t>(i));
                out.put(i, nb::sample(rng, mode));
            }
        }
        return py::make_tuple(out.m, out.o, out.n);
    });

    m.def("nb101_mutate", [](py::handle matrix, py::handle ops, py::handle nv, double rate, std::uint64_t seed) {
        Rows r = rows(matrix, ops, nv);
        if (!(rate >= 0.001 && rate <= 20.0)) throw py::value_error("rate must be in [0.001, 20]");
        py::ssize_t bad = -1;
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < r.N && bad < 0; ++i) {
                nb::Graph g = r.graph(i);  // keys are computed lazily by mutate (most mutants need none)
                if (!nb::pruned_valid(g)) bad = i;  // rows() has checked every row's form already
            }
        }
        if (bad >= 0) throw py::value_error("row " + std::to_string(bad) + ": parent cell is not in the space (or malformed)");
        Out out(r.N);
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < r.N; ++i) {
                fastnas::Rng rng(seed, static_cast<std::uint64_t>(i));
                out.put(i, nb::mutate(r.graph(i), 0, rate, rng));
            }
        }
        return py::make_tuple(out.m, out.o, out.n);
    });

    m.def("nb101_neighbors", [](py::handle matrix, py::handle ops, py::handle nv) {
        Rows r = rows(matrix, ops, nv);
        std::vector<nb::Graph> gs;
        std::vector<std::int64_t> parent;
        py::ssize_t bad = -1;
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < r.N && bad < 0; ++i)
                if (!nb::key_of(r.graph(i))) bad = i;  // rows() has checked every row's form already
            if (bad < 0) {
                gs.reserve(static_cast<std::size_t>(r.N) * 24);
                for (py::ssize_t i = 0; i < r.N; ++i) {
                    const int k = nb::neighbors(r.graph(i), gs);
                    parent.insert(parent.end(), static_cast<std::size_t>(k), static_cast<std::int64_t>(i));
                }
            }
        }
        if (bad >= 0) throw py::value_error("row " + std::to_string(bad) + ": cell is not in the space (or malformed)");
        py::tuple t = from_graphs(gs);
        py::array_t<std::int64_t> p(static_cast<py::ssize_t>(parent.size()));
        std::copy(parent.begin(), parent.end(), p.mutable_data());
        return py::make_tuple(t[0], t[1], t[2], p);
    });

    m.def("nb101_path", [](py::handle matrix, py::handle ops, py::handle nv, int k, bool raise_invalid) {
        Rows r = rows(matrix, ops, nv);
        if (k < 0 || k > nb::kPathLen) throw py::value_error("k must be in 0..364, got " + std::to_string(k));
        if (raise_invalid)
            for (py::ssize_t i = 0; i < r.N; ++i) {
                nb::Graph g = r.graph(i);
                if (!nb::pruned_valid(g)) not_in_space(i);
            }
        py::array_t<std::uint8_t> out(std::vector<py::ssize_t>{r.N, k});
        auto* o = out.mutable_data();
        {
            NoGilIf nogil(r.N >= kNoGilRows);
            for (py::ssize_t i = 0; i < r.N; ++i) nb::path_encode(r.graph(i), k, o + static_cast<py::ssize_t>(k) * i);
        }
        return out;
    }, py::arg("matrix"), py::arg("ops"), py::arg("n_vertices"), py::arg("k"), py::arg("raise_invalid") = false);
}

}  // namespace fastnas_bind
