// DARTS genotypes (Python objects or their repr text) -> (inputs, ops) arrays: the fast path of
// DARTS.from_genotype. It walks Genotype namedtuples (any object with the four DARTS fields holding
// lists/tuples of (op, input) pairs) with the CPython API, and reads the canonical repr text
// "Genotype(normal=[('op', i), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=range(2, 6))"
// with a small cursor parser. Anything else, and any row that breaks a rule, returns None: the caller
// then runs the Python parser (fastnas/spaces/darts_convert.py, via ast, never eval), which is the
// specification and raises the error naming the row, so every backend gives the same message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <string_view>

#include "bindings.hpp"

namespace py = pybind11;

namespace fastnas_bind {
namespace {

constexpr const char* kOps[7] = {"max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
                                 "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"};

int op_code(std::string_view s) {
    for (int k = 0; k < 7; ++k)
        if (s == kOps[k]) return k;
    return -1;
}

// ---- objects ------------------------------------------------------------------------------
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
};

// Python int (not bool) in lo..hi.
bool small_int(PyObject* x, long lo, long hi, long* out) {
    if (!PyLong_CheckExact(x)) return false;
    const long v = PyLong_AsLong(x);
    if (v == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return false;
    }
    if (v < lo || v > hi) return false;
    *out = v;
    return true;
}

bool concat_ok(PyObject* c) {
    Seq s(c);
    if (s.size != 4) return false;
    long want = 2;
    for (Py_ssize_t k = 0; k < 4; ++k, ++want) {
        long v = 0;
        if (!small_int(s.items[k], want, want, &v)) return false;
    }
    return true;
}

bool cell_from_object(PyObject* cell, std::int8_t* in, std::int8_t* op) {
    Seq s(cell);
    if (s.size != 8) return false;
    for (int e = 0; e < 8; ++e) {
        Seq pair(s.items[e]);
        if (pair.size != 2 || !PyUnicode_Check(pair.items[0])) return false;
        Py_ssize_t n = 0;
        const char* txt = PyUnicode_AsUTF8AndSize(pair.items[0], &n);
        if (txt == nullptr) {
            PyErr_Clear();
            return false;
        }
        const int code = op_code(std::string_view(txt, static_cast<std::size_t>(n)));
        long i = 0;
        if (code < 0 || !small_int(pair.items[1], 0, e / 2 + 1, &i)) return false;
        in[e] = static_cast<std::int8_t>(i);
        op[e] = static_cast<std::int8_t>(code);
    }
    return true;
}

bool from_object(PyObject* g, std::int8_t* in, std::int8_t* op) {
    static const char* fields[4] = {"normal", "normal_concat", "reduce", "reduce_concat"};
    PyObject* v[4] = {nullptr, nullptr, nullptr, nullptr};
    bool ok = true;
    for (int k = 0; k < 4 && ok; ++k) {
        v[k] = PyObject_GetAttrString(g, fields[k]);
        if (v[k] == nullptr) {
            PyErr_Clear();
            ok = false;
        }
    }
    ok = ok && concat_ok(v[1]) && concat_ok(v[3]) && cell_from_object(v[0], in, op) &&
         cell_from_object(v[2], in + 8, op + 8);
    for (PyObject* x : v) Py_XDECREF(x);
    return ok;
}

// ---- text -----------------------------------------------------------------------------------
struct Cursor {
    const char* p;
    const char* end;
    void ws() {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) ++p;
    }
    bool lit(std::string_view s) {
        ws();
        if (static_cast<std::size_t>(end - p) < s.size() || std::memcmp(p, s.data(), s.size()) != 0) return false;
        p += s.size();
        return true;
    }
    bool integer(long* out) {
        ws();
        if (p >= end || *p < '0' || *p > '9') return false;
        if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9') return false;  // "01" is not Python
        long v = 0;
        while (p < end && *p >= '0' && *p <= '9' && v < 1000) v = 10 * v + (*p++ - '0');
        *out = v;
        return true;
    }
    bool name(std::string_view* out) {
        ws();
        if (p >= end || (*p != '\'' && *p != '"')) return false;
        const char q = *p++;
        const char* s = p;
        while (p < end && *p != q) ++p;
        if (p >= end) return false;
        *out = std::string_view(s, static_cast<std::size_t>(p - s));
        ++p;
        return true;
    }
};

bool text_concat(Cursor& c) {
    if (c.lit("range(")) {
        long a = 0, b = 0;
        return c.integer(&a) && a == 2 && c.lit(",") && c.integer(&b) && b == 6 && c.lit(")");
    }
    if (!c.lit("[")) return false;
    for (long k = 2; k <= 5; ++k) {
        long v = 0;
        if ((k > 2 && !c.lit(",")) || !c.integer(&v) || v != k) return false;
    }
    return c.lit("]");
}

bool text_cell(Cursor& c, std::int8_t* in, std::int8_t* op) {
    if (!c.lit("[")) return false;
    for (int e = 0; e < 8; ++e) {
        std::string_view nm;
        long i = 0;
        if ((e > 0 && !c.lit(",")) || !c.lit("(") || !c.name(&nm) || !c.lit(",") || !c.integer(&i) || !c.lit(")"))
            return false;
        const int code = op_code(nm);
        if (code < 0 || i > e / 2 + 1) return false;
        in[e] = static_cast<std::int8_t>(i);
        op[e] = static_cast<std::int8_t>(code);
    }
    return c.lit("]");
}

bool from_text(PyObject* s, std::int8_t* in, std::int8_t* op) {
    Py_ssize_t n = 0;
    const char* txt = PyUnicode_AsUTF8AndSize(s, &n);
    if (txt == nullptr) {
        PyErr_Clear();
        return false;
    }
    Cursor c{txt, txt + n};
    const bool ok = c.lit("Genotype(") && c.lit("normal") && c.lit("=") && text_cell(c, in, op) && c.lit(",") &&
                    c.lit("normal_concat") && c.lit("=") && text_concat(c) && c.lit(",") && c.lit("reduce") &&
                    c.lit("=") && text_cell(c, in + 8, op + 8) && c.lit(",") && c.lit("reduce_concat") &&
                    c.lit("=") && text_concat(c) && c.lit(")");
    c.ws();
    return ok && c.p == c.end;
}

}  // namespace

void register_darts_genotype(py::module_& m) {
    m.def(
        "darts_parse_genotypes",
        [](py::handle genotypes) -> py::object {
            if (!PyList_Check(genotypes.ptr())) return py::none();
            const py::ssize_t n = PyList_GET_SIZE(genotypes.ptr());
            py::array_t<std::int8_t> ins(std::vector<py::ssize_t>{n, 2, 8}), ops(std::vector<py::ssize_t>{n, 2, 8});
            std::int8_t* I = ins.mutable_data();
            std::int8_t* O = ops.mutable_data();
            for (py::ssize_t r = 0; r < n; ++r) {
                PyObject* g = PyList_GET_ITEM(genotypes.ptr(), r);
                const bool ok = PyUnicode_Check(g) ? from_text(g, I + 16 * r, O + 16 * r)
                                                   : from_object(g, I + 16 * r, O + 16 * r);
                if (!ok) return py::none();
            }
            return py::make_tuple(ins, ops);
        },
        py::arg("genotypes"),
        "Parse a list of DARTS genotypes (objects or repr text) into (inputs, ops); None when any row needs "
        "the Python parser (it raises the error naming the row).");
}

}  // namespace fastnas_bind
