// pybind11 binding of the tabular-benchmark lookup (src/lookup.cpp): validates every array's dtype,
// shape and contiguity before touching memory, releases the GIL, calls the core.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>
#include <string>

#include "arrays.hpp"
#include "bindings.hpp"
#include "lookup.hpp"
#include "lookup_crc32c.hpp"

namespace py = pybind11;

namespace fastnas_bind {
namespace {

template <class T>
py::array_t<T, py::array::c_style> need(py::handle h, const char* name, int ndim) {
    if (!py::isinstance<py::array>(h)) throw py::type_error(std::string(name) + ": expected a numpy array");
    auto a = py::reinterpret_borrow<py::array>(h);
    if (!py::array_t<T>::check_(a))  // equivalent dtype (an unpickled array has its own dtype object)
        throw py::type_error(std::string(name) + ": expected dtype " + std::string(py::str(py::dtype::of<T>())) +
                             ", got " + std::string(py::str(a.dtype())));
    if (a.ndim() != ndim)
        throw py::value_error(std::string(name) + ": expected " + std::to_string(ndim) + " dimensions, got " +
                              std::to_string(a.ndim()));
    return contiguous<T>(a);
}

py::array_t<std::int64_t> lookup_table(py::handle keys_h) {
    auto keys = need<std::uint64_t>(keys_h, "keys", 1);
    const std::int64_t n = keys.shape(0);
    const std::int64_t m = fastnas::lookup::table_size(n);
    py::array_t<std::int64_t> table(m);
    const std::uint64_t* K = keys.data();
    std::int64_t* T = table.mutable_data();
    {
        py::gil_scoped_release release;
        fastnas::lookup::build_table(K, n, T, m);
    }
    return table;
}

py::tuple lookup_query(py::handle keys_h, bool dense, py::handle table_h, py::handle values_h, py::handle n_seeds_h,
                       py::handle q_h, std::int64_t seed, std::uint64_t base) {
    auto keys = need<std::uint64_t>(keys_h, "keys", 1);
    auto table = need<std::int64_t>(table_h, "table", 1);
    auto values = need<double>(values_h, "values", 2);
    auto n_seeds = need<std::int8_t>(n_seeds_h, "n_seeds", 1);
    auto q = need<std::uint64_t>(q_h, "queries", 1);
    const py::ssize_t n = keys.shape(0), s = values.shape(1), m = q.shape(0);
    if (values.shape(0) != n || n_seeds.shape(0) != n)
        throw py::value_error("keys, values and n_seeds must have the same number of rows");
    if (s < 1) throw py::value_error("values must have at least one column");
    if (seed < -1) throw py::value_error("seed must be -1 (sample) or a column index >= 0");
    const py::ssize_t mt = table.shape(0);
    if (mt != 0 && mt != fastnas::lookup::table_size(n))
        throw py::value_error("table has " + std::to_string(mt) + " slots, expected 0 or " +
                              std::to_string(fastnas::lookup::table_size(n)) + " (build it with lookup_table)");
    py::array_t<double> out(m);
    py::array_t<std::int64_t> rows(m);
    std::int64_t bad;
    {
        const std::uint64_t* K = keys.data();
        const std::int64_t* T = mt ? table.data() : nullptr;
        const double* V = values.data();
        const std::int8_t* S = n_seeds.data();
        const std::uint64_t* Q = q.data();
        double* O = out.mutable_data();
        std::int64_t* R = rows.mutable_data();
        std::optional<py::gil_scoped_release> release;
        if (m >= 256) release.emplace();  // releasing costs more than a few lookups (one-cell queries)
        bad = fastnas::lookup::query(K, n, dense, T, mt, V, s, S, Q, m, seed, base, O, R);
    }
    if (bad >= 0 && rows.data()[bad] == -2)
        throw py::value_error("query " + std::to_string(bad) + ": corrupt hash table (an entry is not a row, "
                              "or the probe found no empty slot)");
    if (bad >= 0)
        throw py::value_error("query " + std::to_string(bad) + ": the store's n_seeds entry for row " +
                              std::to_string(rows.data()[bad]) + " is outside 1.." + std::to_string(s));
    return py::make_tuple(out, rows);
}

std::uint32_t crc32c_py(py::handle data, std::uint32_t crc) {
    if (!PyObject_CheckBuffer(data.ptr())) throw py::type_error("crc32c: expected a bytes-like object");
    py::buffer_info info = py::reinterpret_borrow<py::buffer>(data).request();
    if (info.ndim != 1 || info.itemsize != 1 || info.strides[0] != 1)
        throw py::type_error("crc32c: expected contiguous bytes");
    const auto* p = static_cast<const std::uint8_t*>(info.ptr);
    const auto n = static_cast<std::size_t>(info.size);
    py::gil_scoped_release release;
    return fastnas::lookup::crc32c(p, n, crc);
}

}  // namespace

void register_lookup(py::module_& m) {
    m.def("lookup_table", &lookup_table, py::arg("keys"),
          "Open-addressing hash table (int64 row per slot, -1 empty) over sorted uint64 keys; see src/lookup.hpp.");
    m.def("lookup_query", &lookup_query, py::arg("keys"), py::arg("dense"), py::arg("table"), py::arg("values"),
          py::arg("n_seeds"),
          py::arg("queries"), py::arg("seed"), py::arg("base"),
          "(values (M,) float64, rows (M,) int64) for uint64 query keys; see src/lookup.hpp.");
    m.def("crc32c", &crc32c_py, py::arg("data"), py::arg("crc") = 0,
          "CRC-32C (Castagnoli) of a bytes-like object, continuing from crc; see src/lookup_crc32c.hpp.");
}

}  // namespace fastnas_bind
