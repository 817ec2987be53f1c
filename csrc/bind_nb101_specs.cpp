// nasbench-style specs (Python lists) -> NB101 arrays, walking the lists with the CPython API.
//
// The fast path of NB101.from_specs: lists (or tuples) of V x V lists of Python ints 0/1 and lists of op
// names. Anything else, and any row that breaks a rule, returns None: the caller then runs the Python
// parser (fastnas/spaces/nb101_specs.py), which is the specification and raises the error naming the row,
// so every backend gives the same message. Chosen over Cython: the loop is a few C-API calls per entry
// (PyList_GET_ITEM, PyLong_AsLong, one length + memcmp per op name) and needs no new build dependency.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>

#include "arrays.hpp"
#include "bindings.hpp"

namespace py = pybind11;

namespace fastnas_bind {
namespace {

// A list or tuple: its size and items without new references.
struct Seq {
    PyObject** items = nullptr;
    Py_ssize_t size = -1;
    explicit Seq(PyObject* o) {
        if (PyList_Check(o)) {
            items = reinterpret_cast<PyListObject*>(o)->ob_item;
            size = PyList_GET_SIZE(o);
        } else if (PyTuple_Check(o)) {
            items = reinterpret_cast<PyTupleObject*>(o)->ob_item;
            size = PyTuple_GET_SIZE(o);
        }
    }
    bool ok() const { return size >= 0; }
};

// Op name -> code (input -1, output -2, conv3x3-bn-relu 0, conv1x1-bn-relu 1, maxpool3x3 2); 99 unknown.
int op_code(PyObject* s) {
    if (!PyUnicode_Check(s)) return 99;
    Py_ssize_t n = 0;
    const char* c = PyUnicode_AsUTF8AndSize(s, &n);
    if (c == nullptr) {
        PyErr_Clear();
        return 99;
    }
    struct Name { const char* text; Py_ssize_t len; int code; };
    static const Name names[] = {{"input", 5, -1}, {"output", 6, -2}, {"conv3x3-bn-relu", 15, 0},
                                 {"conv1x1-bn-relu", 15, 1}, {"maxpool3x3", 10, 2}};
    for (const Name& nm : names)
        if (n == nm.len && std::memcmp(c, nm.text, static_cast<std::size_t>(n)) == 0) return nm.code;
    return 99;
}

// 0 or 1 from a Python int (bool included); -1 for anything else.
int bit(PyObject* x) {
    if (!PyLong_Check(x)) return -1;
    int overflow = 0;
    const long v = PyLong_AsLongAndOverflow(x, &overflow);
    if (overflow || (v != 0 && v != 1)) {
        PyErr_Clear();
        return -1;
    }
    return static_cast<int>(v);
}

}  // namespace

void register_nb101_specs(py::module_& m) {
    m.def(
        "nb101_parse_specs",
        [](py::handle matrices, py::handle ops) -> py::object {
            Seq mats(matrices.ptr()), names(ops.ptr());
            if (!mats.ok() || !names.ok() || mats.size != names.size) return py::none();
            const py::ssize_t N = mats.size;
            py::array_t<std::uint8_t> mo(std::vector<py::ssize_t>{N, 7, 7});
            py::array_t<std::int8_t> oo(std::vector<py::ssize_t>{N, 7});
            py::array_t<std::uint8_t> vo(std::vector<py::ssize_t>{N});
            std::uint8_t* M = mo.mutable_data();
            std::int8_t* O = oo.mutable_data();
            std::uint8_t* V = vo.mutable_data();
            std::memset(M, 0, static_cast<std::size_t>(N) * 49);
            std::memset(O, -3, static_cast<std::size_t>(N) * 7);
            for (py::ssize_t i = 0; i < N; ++i) {
                Seq mat(mats.items[i]), nm(names.items[i]);
                if (!mat.ok() || !nm.ok() || PyUnicode_Check(names.items[i])) return py::none();
                const Py_ssize_t v = mat.size;
                if (v < 2 || v > 7 || nm.size != v) return py::none();
                std::uint8_t* mi = M + 49 * i;
                for (Py_ssize_t r = 0; r < v; ++r) {
                    Seq row(mat.items[r]);
                    if (!row.ok() || row.size != v) return py::none();
                    for (Py_ssize_t c = 0; c < v; ++c) {
                        const int b = bit(row.items[c]);
                        if (b < 0 || (b && c <= r)) return py::none();
                        mi[7 * r + c] = static_cast<std::uint8_t>(b);
                    }
                }
                std::int8_t* oi = O + 7 * i;
                for (Py_ssize_t k = 0; k < v; ++k) {
                    const int code = op_code(nm.items[k]);
                    const bool in = code == -1, out = code == -2;
                    if (code == 99 || in != (k == 0) || out != (k == v - 1)) return py::none();
                    oi[k] = static_cast<std::int8_t>(code);
                }
                V[i] = static_cast<std::uint8_t>(v);
            }
            return py::make_tuple(frozen(mo), frozen(oo), frozen(vo));  // read-only views: they become a batch
        },
        py::arg("matrices"), py::arg("ops"),
        "Parse lists of nasbench specs into (matrix, ops, n_vertices) read-only views; None when any row needs the Python "
        "parser (it raises the error naming the row).");
}

}  // namespace fastnas_bind
