// pybind11 bindings of the NAS-Bench-Graph kernels (src/nbgraph.cpp): validate and convert arrays
// (types, shapes, ranges) before touching memory, release the GIL, call the core. Arguments, results
// and exception types match the reference twins in fastnas/spaces/nbgraph_ref.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "nbgraph.hpp"

namespace py = pybind11;
namespace ng = fastnas::nbgraph;

namespace fastnas_bind {
namespace {

using I8 = py::array_t<std::int8_t, py::array::c_style>;

template <class T>
py::array_t<T, py::array::c_style> need(py::handle h, const char* what) {
    if (!py::isinstance<py::array>(h)) throw py::type_error(std::string(what) + " must be numpy arrays");
    auto a = py::reinterpret_borrow<py::array>(h);
    if (!py::array_t<T>::check_(a))  // equivalent dtype (an unpickled array has its own dtype object)
        throw py::type_error(std::string(what) + " must have dtype " + std::string(py::str(py::dtype::of<T>())));
    return py::array_t<T, py::array::c_style>::ensure(a);
}

struct Rows {
    I8 link, ops;
    py::ssize_t n;
};

Rows rows(py::handle link_h, py::handle ops_h) {
    Rows r{need<std::int8_t>(link_h, "link and ops"), need<std::int8_t>(ops_h, "link and ops"), 0};
    if (r.link.ndim() != 1 || r.ops.ndim() != 2 || r.ops.shape(1) != 4)
        throw py::value_error("expected link (N,) and ops (N, 4)");
    if (r.link.shape(0) != r.ops.shape(0)) throw py::value_error("link and ops must have the same number of rows");
    r.n = r.link.shape(0);
    const std::int8_t* l = r.link.data();
    const std::int8_t* o = r.ops.data();
    for (py::ssize_t i = 0; i < r.n; ++i) {
        if (l[i] < 0 || l[i] >= ng::kLinks)
            throw py::value_error("row " + std::to_string(i) + ": link pattern " + std::to_string(l[i]) +
                                  " out of range 0..8");
        for (int j = 0; j < 4; ++j)
            if (o[4 * i + j] < 0 || o[4 * i + j] >= ng::kOps)
                throw py::value_error("row " + std::to_string(i) + ": op " + std::to_string(o[4 * i + j]) +
                                      " at node " + std::to_string(j) + " out of range 0..8");
    }
    return r;
}

unsigned check_mask(long long allowed) {
    unsigned others = 0;
    if (allowed > 0 && allowed <= 511)
        for (int o = 0; o < ng::kOps; ++o)
            if (o != ng::kSkip && (allowed >> o & 1)) ++others;
    if (others < 2) throw py::value_error("allowed must be a 9-bit op mask holding at least two ops besides skip");
    return static_cast<unsigned>(allowed);
}

void check_in_space(const Rows& r, unsigned allowed) {
    for (py::ssize_t i = 0; i < r.n; ++i)
        if (!ng::is_valid(r.ops.data() + 4 * i, allowed))
            throw py::value_error("row " + std::to_string(i) +
                                  ": cell is not in the space (op not allowed, or all ops skip)");
}

}  // namespace

void register_nbgraph(py::module_& m) {
    m.def("nbgraph_canonical", [](py::handle link, py::handle ops) {
        Rows r = rows(link, ops);
        I8 ol(r.n), oo(std::vector<py::ssize_t>{r.n, 4});
        {
            py::gil_scoped_release nogil;
            const std::int8_t* l = r.link.data();
            const std::int8_t* o = r.ops.data();
            std::int8_t* wl = ol.mutable_data();
            std::int8_t* wo = oo.mutable_data();
            for (py::ssize_t i = 0; i < r.n; ++i) {
                int q;
                ng::canonical(l[i], o + 4 * i, &q, wo + 4 * i);
                wl[i] = static_cast<std::int8_t>(q);
            }
        }
        return py::make_tuple(ol, oo);
    });
    m.def("nbgraph_hash", [](py::handle link, py::handle ops) {
        Rows r = rows(link, ops);
        py::array_t<std::int64_t> out(r.n);
        {
            py::gil_scoped_release nogil;
            const std::int8_t* l = r.link.data();
            const std::int8_t* o = r.ops.data();
            std::int64_t* w = out.mutable_data();
            for (py::ssize_t i = 0; i < r.n; ++i) w[i] = ng::key(l[i], o + 4 * i);
        }
        return out;
    });
    m.def("nbgraph_unhash", [](py::handle hashes) {
        if (!py::isinstance<py::array>(hashes)) throw py::type_error("hashes must be a 1-d int64 numpy array");
        auto a = py::reinterpret_borrow<py::array>(hashes);
        if (!py::array_t<std::int64_t>::check_(a) || a.ndim() != 1)
            throw py::type_error("hashes must be a 1-d int64 numpy array");
        auto h = py::array_t<std::int64_t, py::array::c_style>::ensure(a);
        const py::ssize_t n = h.shape(0);
        const std::int64_t* p = h.data();
        for (py::ssize_t i = 0; i < n; ++i) {
            if (p[i] < 0 || p[i] >= 90000)
                throw py::value_error("row " + std::to_string(i) + ": " + std::to_string(p[i]) +
                                      " is not a NAS-Bench-Graph key (need 0 <= key < 90000)");
            for (std::int64_t v = p[i], k = 0; k < 4; ++k, v /= 10)
                if (v % 10 == 9)
                    throw py::value_error("row " + std::to_string(i) + ": " + std::to_string(p[i]) +
                                          " is not a NAS-Bench-Graph key (op digit 9)");
        }
        I8 ol(n), oo(std::vector<py::ssize_t>{n, 4});
        std::int8_t* wl = ol.mutable_data();
        std::int8_t* wo = oo.mutable_data();
        for (py::ssize_t i = 0; i < n; ++i) {
            std::int64_t v = p[i];
            for (int j = 3; j >= 0; --j, v /= 10) wo[4 * i + j] = static_cast<std::int8_t>(v % 10);
            wl[i] = static_cast<std::int8_t>(v);
        }
        return py::make_tuple(ol, oo);
    });
    m.def("nbgraph_is_valid", [](py::handle link, py::handle ops, long long allowed) {
        Rows r = rows(link, ops);
        const unsigned mask = check_mask(allowed);
        py::array_t<bool> out(r.n);
        bool* w = out.mutable_data();
        for (py::ssize_t i = 0; i < r.n; ++i) w[i] = ng::is_valid(r.ops.data() + 4 * i, mask);
        return out;
    });
    m.def("nbgraph_sample", [](std::uint64_t seed, long long start, long long n, long long allowed) {
        if (n < 0) throw py::value_error("n must be >= 0");
        const unsigned mask = check_mask(allowed);
        I8 ol(n), oo(std::vector<py::ssize_t>{static_cast<py::ssize_t>(n), 4});
        {
            py::gil_scoped_release nogil;
            std::int8_t* wl = ol.mutable_data();
            std::int8_t* wo = oo.mutable_data();
            for (long long i = 0; i < n; ++i)
                ng::sample(seed, static_cast<std::uint64_t>(start + i), mask, wl + i, wo + 4 * i);
        }
        return py::make_tuple(ol, oo);
    });
    m.def("nbgraph_mutate", [](py::handle link, py::handle ops, long long allowed, double rate, std::uint64_t seed) {
        Rows r = rows(link, ops);
        const unsigned mask = check_mask(allowed);
        if (!(rate > 0.0)) throw py::value_error("rate must be > 0");
        check_in_space(r, mask);
        I8 ol(r.n), oo(std::vector<py::ssize_t>{r.n, 4});
        {
            py::gil_scoped_release nogil;
            const std::int8_t* l = r.link.data();
            const std::int8_t* o = r.ops.data();
            std::int8_t* wl = ol.mutable_data();
            std::int8_t* wo = oo.mutable_data();
            for (py::ssize_t i = 0; i < r.n; ++i)
                ng::mutate(l[i], o + 4 * i, rate, mask, seed, static_cast<std::uint64_t>(i), wl + i, wo + 4 * i);
        }
        return py::make_tuple(ol, oo);
    });
    m.def("nbgraph_neighbors", [](py::handle link, py::handle ops, long long allowed) {
        Rows r = rows(link, ops);
        const unsigned mask = check_mask(allowed);
        check_in_space(r, mask);
        std::vector<std::int8_t> bl(static_cast<std::size_t>(r.n) * 40), bo(static_cast<std::size_t>(r.n) * 160);
        std::vector<std::int64_t> bp(static_cast<std::size_t>(r.n) * 40);
        py::ssize_t w = 0;
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < r.n; ++i) {
                const int k = ng::neighbors(r.link.data()[i], r.ops.data() + 4 * i, mask, bl.data() + w,
                                            bo.data() + 4 * w);
                for (int t = 0; t < k; ++t) bp[static_cast<std::size_t>(w + t)] = i;
                w += k;
            }
        }
        I8 ol(w), oo(std::vector<py::ssize_t>{w, 4});
        py::array_t<std::int64_t> op(w);
        std::copy(bl.begin(), bl.begin() + w, ol.mutable_data());
        std::copy(bo.begin(), bo.begin() + 4 * w, oo.mutable_data());
        std::copy(bp.begin(), bp.begin() + w, op.mutable_data());
        return py::make_tuple(ol, oo, op);
    });
    m.def("nbgraph_onehot", [](py::handle link, py::handle ops) {
        Rows r = rows(link, ops);
        py::array_t<std::uint8_t> out(std::vector<py::ssize_t>{r.n, ng::kLinks + 4 * ng::kOps});
        {
            py::gil_scoped_release nogil;
            std::uint8_t* w = out.mutable_data();
            for (py::ssize_t i = 0; i < r.n; ++i) ng::onehot(r.link.data()[i], r.ops.data() + 4 * i, w + 45 * i);
        }
        return out;
    });
    m.def("nbgraph_gcn", [](py::handle link, py::handle ops) {
        Rows r = rows(link, ops);
        py::array_t<float> out(std::vector<py::ssize_t>{r.n, 102});
        {
            py::gil_scoped_release nogil;
            float* w = out.mutable_data();
            for (py::ssize_t i = 0; i < r.n; ++i) ng::gcn(r.link.data()[i], r.ops.data() + 4 * i, w + 102 * i);
        }
        return out;
    });
}

}  // namespace fastnas_bind
