// pybind11 bindings of the NAS-Bench-201 kernels (src/nb201.*): validate, convert, release the GIL, call.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "nb201.hpp"

namespace py = pybind11;
namespace nb = fastnas::nb201;

namespace fastnas_bind {

namespace {

using I8 = py::array_t<std::int8_t, py::array::c_style | py::array::forcecast>;
using I64 = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

// An (N, 6) int8 array of op codes in [0, 5), else ValueError naming the row.
I8 checked_ops(const py::handle& obj) {
    if (!py::isinstance<py::array>(obj)) throw py::value_error("ops must be a numpy array of shape (N, 6), dtype int8");
    py::array a = py::reinterpret_borrow<py::array>(obj);
    if (a.dtype().kind() != 'i' || a.itemsize() != 1)
        throw py::value_error("ops must have dtype int8, got " + std::string(py::str(a.dtype())));
    if (a.ndim() != 2 || a.shape(1) != nb::kEdges)
        throw py::value_error("ops must have shape (N, 6), got " + std::string(py::str(py::tuple(a.attr("shape")))));
    // an int8 array already C-contiguous (a batch's ops) is used as it is: no conversion call
    I8 c = py::detail::check_flags(a.ptr(), py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_) ? py::reinterpret_borrow<I8>(a)
                                                                                           : I8::ensure(a);
    const std::ptrdiff_t bad = nb::first_bad_row(c.data(), static_cast<std::size_t>(c.shape(0)));
    if (bad >= 0) {
        std::string row;
        for (int e = 0; e < nb::kEdges; ++e) row += (e ? ", " : "") + std::to_string(c.data()[bad * nb::kEdges + e]);
        throw py::value_error("row " + std::to_string(bad) + ": op codes must be in [0, 5), got [" + row + "]");
    }
    return c;
}

I64 checked_int64_1d(const py::handle& obj, const char* what) {
    if (!py::isinstance<py::array>(obj)) throw py::value_error(std::string(what) + " must be a numpy int64 array");
    py::array a = py::reinterpret_borrow<py::array>(obj);
    if (a.dtype().kind() != 'i' || a.itemsize() != 8)
        throw py::value_error(std::string(what) + " must have dtype int64, got " + std::string(py::str(a.dtype())));
    if (a.ndim() != 1) throw py::value_error(std::string(what) + " must be 1-dimensional");
    return I64::ensure(a);
}

py::array_t<float> float_out(py::ssize_t n, py::ssize_t d) { return py::array_t<float>({n, d}); }

}  // namespace

void register_nb201(py::module_& m) {
    m.def("nb201_parse_strings", [](const py::handle& seq) {
        if (!py::isinstance<py::list>(seq) && !py::isinstance<py::tuple>(seq))
            throw py::value_error("strings must be a list or tuple of arch strings");
        py::sequence items = py::reinterpret_borrow<py::sequence>(seq);
        const auto n = static_cast<py::ssize_t>(py::len(items));
        std::vector<const char*> ptr(static_cast<std::size_t>(n));
        std::vector<std::size_t> len(static_cast<std::size_t>(n));
        // Own a reference to every string so that their UTF-8 buffers outlive the GIL-free parse even if
        // another thread edits the list meanwhile.
        std::vector<py::object> keep;
        keep.reserve(static_cast<std::size_t>(n));
        for (py::ssize_t i = 0; i < n; ++i) {
            PyObject* o = PySequence_Fast_GET_ITEM(items.ptr(), i);
            keep.push_back(py::reinterpret_borrow<py::object>(o));
            if (!PyUnicode_Check(o))
                throw py::value_error("row " + std::to_string(i) + ": expected an arch string, got " +
                                      std::string(Py_TYPE(o)->tp_name));
            Py_ssize_t sz = 0;
            const char* u = PyUnicode_AsUTF8AndSize(o, &sz);
            if (u == nullptr) throw py::error_already_set();
            ptr[static_cast<std::size_t>(i)] = u;
            len[static_cast<std::size_t>(i)] = static_cast<std::size_t>(sz);
        }
        py::array_t<std::int8_t> out({n, static_cast<py::ssize_t>(nb::kEdges)});
        std::int8_t* o = out.mutable_data();
        py::ssize_t bad = -1;
        int err = 0;
        {
            std::optional<py::gil_scoped_release> nogil;
            if (n >= 256) nogil.emplace();  // a release costs more than parsing a few strings
            for (py::ssize_t i = 0; i < n; ++i) {
                err = nb::parse_string(ptr[static_cast<std::size_t>(i)], len[static_cast<std::size_t>(i)], o + i * nb::kEdges);
                if (err) {
                    bad = i;
                    break;
                }
            }
        }
        if (bad >= 0) {
            const std::string text = std::string(py::repr(keep[static_cast<std::size_t>(bad)]));
            const int code = err & 15, e = err >> 4;
            static const int src[nb::kEdges] = {0, 0, 1, 0, 1, 2};
            std::string why;
            if (code == 1) why = "malformed arch string " + text + ": expected |op~0|+|op~0|op~1|+|op~0|op~1|op~2| "
                                 "(nodes with 1, 2 and 3 inputs)";
            else if (code == 2) why = "unknown op in term " + std::to_string(e) + " of " + text +
                                      "; valid: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3";
            else if (code == 3) why = "term " + std::to_string(e) + " of " + text + " must read from node " +
                                      std::to_string(src[e]);
            else why = "malformed term " + std::to_string(e) + " of " + text + ": expected op~node";
            throw py::value_error("row " + std::to_string(bad) + ": " + why);
        }
        return frozen(out);  // a read-only view: it becomes a batch (arrays.hpp)
    });
    m.def("nb201_to_code", [](const py::handle& ops) {
        I8 a = checked_ops(ops);
        const auto n = a.shape(0);
        py::array_t<std::int64_t> out(n);
        {
            NoGilIf nogil(n >= kNoGilRows);
            nb::to_code(a.data(), static_cast<std::size_t>(n), out.mutable_data());
        }
        return out;
    });
    m.def("nb201_from_code", [](const py::handle& codes) {
        I64 c = checked_int64_1d(codes, "codes");
        const auto n = c.shape(0);
        for (py::ssize_t i = 0; i < n; ++i)
            if (c.data()[i] < 0 || c.data()[i] >= nb::kCells)
                throw py::value_error("row " + std::to_string(i) + ": code " + std::to_string(c.data()[i]) +
                                      " out of range [0, 15625)");
        py::array_t<std::int8_t> out({n, static_cast<py::ssize_t>(nb::kEdges)});
        {
            NoGilIf nogil(n >= kNoGilRows);
            nb::from_code(c.data(), static_cast<std::size_t>(n), out.mutable_data());
        }
        return frozen(out);  // a read-only view: it becomes a batch (arrays.hpp)
    });
    m.def("nb201_remap", [](const py::handle& ops, const py::handle& perm, const py::handle& lut) {
        I8 a = checked_ops(ops);
        I64 p = checked_int64_1d(perm, "perm");
        I8 l = I8::ensure(lut);
        if (!l || l.ndim() != 1 || l.shape(0) != nb::kOps) throw py::value_error("lut must be 5 int8 values");
        if (p.shape(0) != nb::kEdges) throw py::value_error("perm must hold 6 edge positions");
        for (int k = 0; k < nb::kEdges; ++k)
            if (p.data()[k] < 0 || p.data()[k] >= nb::kEdges) throw py::value_error("perm entries must be in [0, 6)");
        const auto n = a.shape(0);
        py::array_t<std::int8_t> out({n, static_cast<py::ssize_t>(nb::kEdges)});
        {
            NoGilIf nogil(n >= kNoGilRows);
            nb::remap(a.data(), static_cast<std::size_t>(n), p.data(), l.data(), out.mutable_data());
        }
        return out;
    });
    m.def("nb201_to_matrix", [](const py::handle& ops) {
        I8 a = checked_ops(ops);
        const auto n = a.shape(0);
        py::array_t<std::int8_t> out({n, py::ssize_t{4}, py::ssize_t{4}});
        {
            NoGilIf nogil(n >= kNoGilRows);
            nb::to_matrix(a.data(), static_cast<std::size_t>(n), out.mutable_data());
        }
        return out;
    });
    m.def("nb201_from_matrix", [](const py::handle& mat) {
        if (!py::isinstance<py::array>(mat)) throw py::value_error("matrices must be a numpy array (N, 4, 4) int8");
        py::array a = py::reinterpret_borrow<py::array>(mat);
        if (a.dtype().kind() != 'i' || a.itemsize() != 1)
            throw py::value_error("matrices must have dtype int8, got " + std::string(py::str(a.dtype())));
        if (a.ndim() != 3 || a.shape(1) != 4 || a.shape(2) != 4)
            throw py::value_error("matrices must have shape (N, 4, 4), got " + std::string(py::str(py::tuple(a.attr("shape")))));
        I8 c = I8::ensure(a);
        const auto n = c.shape(0);
        const std::int8_t* d = c.data();
        for (py::ssize_t i = 0; i < n; ++i)
            for (int r = 0; r < 4; ++r)
                for (int col = 0; col < 4; ++col) {
                    const int v = d[i * 16 + r * 4 + col];
                    if (col <= r && v != 0)
                        throw py::value_error("row " + std::to_string(i) + ": entry [" + std::to_string(r) + ", " +
                                              std::to_string(col) + "] must be 0 (only i < j are edges)");
                    if (v < 0 || v >= nb::kOps)
                        throw py::value_error("row " + std::to_string(i) + ": entry [" + std::to_string(r) + ", " +
                                              std::to_string(col) + "] = " + std::to_string(v) +
                                              " is not an op code in [0, 5)");
                }
        py::array_t<std::int8_t> out({n, static_cast<py::ssize_t>(nb::kEdges)});
        {
            NoGilIf nogil(n >= kNoGilRows);
            nb::from_matrix(d, static_cast<std::size_t>(n), out.mutable_data());
        }
        return out;
    });
    m.def("nb201_is_valid", [](const py::handle& ops) {
        I8 a = checked_ops(ops);
        const auto n = a.shape(0);
        py::array_t<bool> out(n);
        {
            NoGilIf nogil(n >= kNoGilRows);
            nb::is_valid(a.data(), static_cast<std::size_t>(n), out.mutable_data());
        }
        return out;
    });
    m.def(
        "nb201_key",
        [](const py::handle& ops, bool treat_none_as_op, const std::string& kind) {
            I8 a = checked_ops(ops);
            if (kind != "nats" && kind != "dag")
                throw py::value_error("unknown key kind '" + kind + "'; valid: nats, dag");
            const int mode = kind == "dag" ? nb::kDag : nb::kNats;
            const auto n = a.shape(0);
            py::array_t<std::uint64_t> out(n);
            {
                NoGilIf nogil(n >= kNoGilRows);
                nb::key(a.data(), static_cast<std::size_t>(n), treat_none_as_op, mode, out.mutable_data());
            }
            return out;
        },
        py::arg("ops"), py::arg("treat_none_as_op") = false, py::arg("kind") = "nats");
    m.def("nb201_encode_adjacency", [](const py::handle& ops) {
        I8 a = checked_ops(ops);
        const auto n = a.shape(0);
        auto out = float_out(n, nb::kEncAdjacency);
        {
            NoGilIf nogil(n >= kNoGilRows);
            nb::encode_adjacency(a.data(), static_cast<std::size_t>(n), out.mutable_data());
        }
        return out;
    });
    m.def(
        "nb201_encode_path",
        [](const py::handle& ops, bool naslib_quirk, int k) {
            I8 a = checked_ops(ops);
            if (k < 1 || k > nb::kEncPath) throw py::value_error("k must be in [1, 155], got " + std::to_string(k));
            const auto n = a.shape(0);
            auto out = float_out(n, k);
            {
                NoGilIf nogil(n >= kNoGilRows);
                nb::encode_path(a.data(), static_cast<std::size_t>(n), naslib_quirk, k, out.mutable_data());
            }
            return out;
        },
        py::arg("ops"), py::arg("naslib_quirk") = false, py::arg("k") = nb::kEncPath);
    m.def("nb201_encode_gcn", [](const py::handle& ops) {
        I8 a = checked_ops(ops);
        const auto n = a.shape(0);
        auto out = float_out(n, nb::kEncGcn);
        {
            NoGilIf nogil(n >= kNoGilRows);
            nb::encode_gcn(a.data(), static_cast<std::size_t>(n), out.mutable_data());
        }
        return out;
    });
    m.def(
        "nb201_sample",
        [](py::ssize_t n, std::uint64_t seed, bool valid_only, bool unique) {
            if (n < 0) throw py::value_error("n must be >= 0, got " + std::to_string(n));
            if (unique && static_cast<std::size_t>(n) > nb::n_classes(valid_only))
                throw py::value_error("cannot draw " + std::to_string(n) + " cells unique up to isomorphism: the space has " +
                                      std::to_string(nb::n_classes(valid_only)) + " classes" +
                                      (valid_only ? " of valid cells" : ""));
            py::array_t<std::int8_t> out({n, static_cast<py::ssize_t>(nb::kEdges)});
            {
                NoGilIf nogil(n >= kNoGilRows);
                if (unique)
                    nb::sample_unique(static_cast<std::size_t>(n), seed, valid_only, out.mutable_data());
                else
                    nb::sample(static_cast<std::size_t>(n), seed, valid_only, out.mutable_data());
            }
            return out;
        },
        py::arg("n"), py::arg("seed"), py::arg("valid_only") = false, py::arg("unique") = false);
    m.def(
        "nb201_mutate",
        [](const py::handle& ops, double rate, std::uint64_t seed, bool one_edge, bool valid_only) {
            I8 a = checked_ops(ops);
            if (!(rate > 0.0 && rate <= 4.0))
                throw py::value_error("rate must be in (0, 4] (each edge changes with probability rate / 4)");
            const auto n = a.shape(0);
            py::array_t<std::int8_t> out({n, static_cast<py::ssize_t>(nb::kEdges)});
            {
                NoGilIf nogil(n >= kNoGilRows);
                nb::mutate(a.data(), static_cast<std::size_t>(n), rate, seed, one_edge, valid_only, out.mutable_data());
            }
            return out;
        },
        py::arg("ops"), py::arg("rate"), py::arg("seed"), py::arg("one_edge") = false, py::arg("valid_only") = false);
    m.def(
        "nb201_neighbors",
        [](const py::handle& ops, bool dedup) {
            I8 a = checked_ops(ops);
            const auto n = a.shape(0);
            py::array_t<std::int8_t> out({n * 24, static_cast<py::ssize_t>(nb::kEdges)});
            py::array_t<std::int64_t> parent(n * 24);
            std::size_t m2 = 0;
            {
                NoGilIf nogil(n >= kNoGilRows);
                m2 = nb::neighbors(a.data(), static_cast<std::size_t>(n), dedup, out.mutable_data(), parent.mutable_data());
            }
            const auto k = static_cast<py::ssize_t>(m2);
            py::array o2 = out[py::slice(0, k, 1)];
            py::array p2 = parent[py::slice(0, k, 1)];
            return py::make_tuple(o2.attr("copy")(), p2.attr("copy")());
        },
        py::arg("ops"), py::arg("dedup") = false);
}

}  // namespace fastnas_bind
