// pybind11 bindings of the DARTS kernels (src/darts.cpp): validate and convert arrays (types, shapes,
// ranges) before touching memory, release the GIL, call the core. Arguments, results and exception
// types match the reference twins in fastnas/spaces/darts_ref.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "darts.hpp"

namespace py = pybind11;
namespace dt = fastnas::darts;

namespace fastnas_bind {
namespace {

using I8 = py::array_t<std::int8_t, py::array::c_style>;

I8 need_i8(py::handle h) {
    if (!py::isinstance<py::array>(h)) throw py::type_error("inputs and ops must be numpy arrays");
    auto a = py::reinterpret_borrow<py::array>(h);
    if (!py::array_t<std::int8_t>::check_(a)) throw py::type_error("inputs and ops must have dtype int8");
    return I8::ensure(a);
}

struct Rows {
    I8 in, op;
    py::ssize_t n;
    const std::int8_t* I(py::ssize_t i) const { return in.data() + 16 * i; }
    const std::int8_t* O(py::ssize_t i) const { return op.data() + 16 * i; }
};

Rows rows(py::handle in_h, py::handle op_h) {
    Rows r{need_i8(in_h), need_i8(op_h), 0};
    if (r.in.ndim() != 3 || r.in.shape(1) != 2 || r.in.shape(2) != 8 || r.op.ndim() != 3 ||
        r.op.shape(0) != r.in.shape(0) || r.op.shape(1) != 2 || r.op.shape(2) != 8)
        throw py::value_error("expected inputs and ops of shape (N, 2, 8)");
    r.n = r.in.shape(0);
    for (py::ssize_t i = 0; i < r.n; ++i)
        for (int c = 0; c < 2; ++c)
            for (int e = 0; e < 8; ++e) {
                const int x = r.I(i)[8 * c + e], o = r.O(i)[8 * c + e];
                if (x >= 0 && x <= e / 2 + 1 && o >= 0 && o < dt::kOps) continue;
                const std::string where =
                    "row " + std::to_string(i) + ": cell " + std::to_string(c) + " edge " + std::to_string(e);
                if (x < 0 || x > e / 2 + 1)
                    throw py::value_error(where + ": input " + std::to_string(x) + " out of range 0.." +
                                          std::to_string(e / 2 + 1));
                throw py::value_error(where + ": op " + std::to_string(o) + " out of range 0..6");
            }
    return r;
}

void require_valid(const Rows& r) {
    for (py::ssize_t i = 0; i < r.n; ++i)
        if (!dt::distinct(r.I(i)))
            throw py::value_error("row " + std::to_string(i) +
                                  ": cell is not in the space (a node reads the same input twice)");
}

I8 cells_array(py::ssize_t n) { return I8(std::vector<py::ssize_t>{n, 2, 8}); }

}  // namespace

void register_darts(py::module_& m) {
    register_darts_genotype(m);
    m.def("darts_is_valid", [](py::handle in, py::handle op) {
        Rows r = rows(in, op);
        py::array_t<bool> out(r.n);
        bool* w = out.mutable_data();
        for (py::ssize_t i = 0; i < r.n; ++i) w[i] = dt::distinct(r.I(i));
        return out;
    });
    m.def("darts_key", [](py::handle in, py::handle op) {
        Rows r = rows(in, op);
        require_valid(r);
        py::array_t<std::uint64_t> out(r.n);
        {
            py::gil_scoped_release nogil;
            std::uint64_t* w = out.mutable_data();
            for (py::ssize_t i = 0; i < r.n; ++i) w[i] = dt::key(r.I(i), r.O(i));
        }
        return out;
    });
    m.def("darts_sample", [](std::uint64_t seed, long long start, long long n) {
        if (n < 0) throw py::value_error("n must be >= 0");
        I8 oi = cells_array(n), oo = cells_array(n);
        {
            py::gil_scoped_release nogil;
            for (long long i = 0; i < n; ++i)
                dt::sample(seed, static_cast<std::uint64_t>(start + i), oi.mutable_data() + 16 * i,
                           oo.mutable_data() + 16 * i);
        }
        return py::make_tuple(oi, oo);
    });
    m.def("darts_mutate", [](py::handle in, py::handle op, double rate, std::uint64_t seed) {
        Rows r = rows(in, op);
        if (!(rate > 0.0)) throw py::value_error("rate must be > 0");
        require_valid(r);
        I8 oi = cells_array(r.n), oo = cells_array(r.n);
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < r.n; ++i)
                dt::mutate(r.I(i), r.O(i), rate, seed, static_cast<std::uint64_t>(i), oi.mutable_data() + 16 * i,
                           oo.mutable_data() + 16 * i);
        }
        return py::make_tuple(oi, oo);
    });
    m.def("darts_neighbors", [](py::handle in, py::handle op) {
        Rows r = rows(in, op);
        require_valid(r);
        const py::ssize_t cap = 120 * r.n;
        I8 oi = cells_array(cap), oo = cells_array(cap);
        py::array_t<std::int64_t> parent(cap);
        py::ssize_t w = 0;
        {
            py::gil_scoped_release nogil;
            std::int64_t* p = parent.mutable_data();
            for (py::ssize_t i = 0; i < r.n; ++i) {
                const int k = dt::neighbors(r.I(i), r.O(i), oi.mutable_data() + 16 * w, oo.mutable_data() + 16 * w);
                for (int t = 0; t < k; ++t) p[w + t] = i;
                w += k;
            }
        }
        // every valid cell has exactly 120 single changes, so the buffers are full
        if (w != cap) throw std::logic_error("darts_neighbors: unexpected neighbour count");
        return py::make_tuple(oi, oo, parent);
    });
    m.def("darts_adjacency", [](py::handle in, py::handle op) {
        Rows r = rows(in, op);
        py::array_t<std::uint8_t> out(std::vector<py::ssize_t>{r.n, 2 * dt::kAdjCell});
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < r.n; ++i) dt::adjacency(r.I(i), r.O(i), out.mutable_data() + 2 * dt::kAdjCell * i);
        }
        return out;
    });
    m.def("darts_path", [](py::handle in, py::handle op, long long k, bool naslib) {
        Rows r = rows(in, op);
        if (k <= 0 || k > dt::kPathLen) throw py::value_error("k must be in 1..11204");
        py::array_t<std::uint8_t> out(std::vector<py::ssize_t>{r.n, static_cast<py::ssize_t>(k)});
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < r.n; ++i)
                dt::path(r.I(i), r.O(i), static_cast<int>(k), naslib ? dt::kEdges - 1 : dt::kEdges,
                         out.mutable_data() + k * i);
        }
        return out;
    }, py::arg("inputs"), py::arg("ops"), py::arg("k"), py::arg("naslib") = false);
    m.def("darts_parse_zc", [](py::handle keys) {
        if (!PyList_Check(keys.ptr())) throw py::type_error("keys must be a list of str");
        const py::ssize_t n = PyList_GET_SIZE(keys.ptr());
        I8 oi = cells_array(n), oo = cells_array(n);
        std::string err;
        for (py::ssize_t r = 0; r < n; ++r) {
            PyObject* item = PyList_GET_ITEM(keys.ptr(), r);
            if (!PyUnicode_Check(item))
                throw py::type_error("row " + std::to_string(r) + ": expected a str key, got " +
                                     std::string(Py_TYPE(item)->tp_name));
            Py_ssize_t len = 0;
            const char* text = PyUnicode_AsUTF8AndSize(item, &len);
            if (text == nullptr) throw py::error_already_set();
            const int rc = dt::parse_zc(text, static_cast<std::size_t>(len), oi.mutable_data() + 16 * r,
                                        oo.mutable_data() + 16 * r, &err);
            if (rc == 1)
                throw py::value_error("row " + std::to_string(r) +
                                      ": malformed NAS-Bench-301 key (want '[[(input, op) x 8], [(input, op) x 8]]')");
            if (rc == 2) throw py::value_error("row " + std::to_string(r) + ": " + err);
        }
        return py::make_tuple(oi, oo);
    });
    m.def("darts_format_zc", [](py::handle in, py::handle op) {
        Rows r = rows(in, op);
        py::list out(r.n);
        char buf[160];
        for (py::ssize_t i = 0; i < r.n; ++i) {
            const std::size_t len = dt::format_zc(r.I(i), r.O(i), buf);
            PyObject* s = PyUnicode_FromStringAndSize(buf, static_cast<Py_ssize_t>(len));
            if (s == nullptr) throw py::error_already_set();
            PyList_SET_ITEM(out.ptr(), i, s);
        }
        return out;
    });
    m.def("darts_gcn", [](py::handle in, py::handle op) {
        Rows r = rows(in, op);
        py::array_t<float> out(std::vector<py::ssize_t>{r.n, 2 * dt::kGcnCell});
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < r.n; ++i) dt::gcn(r.I(i), r.O(i), out.mutable_data() + 2 * dt::kGcnCell * i);
        }
        return out;
    });
}

}  // namespace fastnas_bind
