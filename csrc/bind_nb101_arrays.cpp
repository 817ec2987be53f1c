// A user's numpy arrays -> validated NB101 arrays in one pass: the fast path of NB101.from_arrays.
//
// The common case only: exact numpy arrays (no subclasses), C-contiguous, aligned, native byte order, of an
// integer dtype, shaped (N, 7, 7), (N, 7) and (N,) (or n_vertices None: each row's size is the position of
// its output code -2 plus one); every value fits its field's dtype (matrix uint8, ops int8, n_vertices
// uint8) and every row is well formed (nb101::check_row, the check every kernel runs). The result is three
// fresh read-only arrays, never the caller's memory. Anything else returns None, and the caller runs the
// Python path (fastnas/spaces/nb101_specs.py from_arrays), the specification: it gives the result or raises
// the error naming the problem, so every input gets the same answer and the same message on every backend.
// The Python twin of this function is fastnas/spaces/_nb101_fast.py nb101_from_arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "arrays.hpp"
#include "bindings.hpp"
#include "nb101.hpp"

namespace py = pybind11;
namespace nb = fastnas::nb101;

namespace fastnas_bind {
namespace {

// One source array: its data, numpy type number and rows.
struct Src {
    const char* data = nullptr;
    int type = -1;
    py::ssize_t n = 0;
};

constexpr int kNpyByte = 1, kNpyULongLong = 10;  // numpy's integer type numbers: byte .. unsigned long long

bool native_order(char byteorder) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return byteorder == '=' || byteorder == '|' || byteorder == '<';
#else
    return byteorder == '=' || byteorder == '|';
#endif
}

// `h` as a source of the fast path: an exact ndarray with `ndim` dimensions, trailing ones `tail`,
// C-contiguous and aligned, of a native-order integer dtype. False for anything else.
bool source(py::handle h, int ndim, const py::ssize_t* tail, Src& s) {
    namespace d = py::detail;
    if (Py_TYPE(h.ptr()) != d::npy_api::get().PyArray_Type_) return false;
    const auto* a = d::array_proxy(h.ptr());
    if (a->nd != ndim) return false;
    for (int k = 1; k < ndim; ++k)
        if (a->dimensions[k] != tail[k - 1]) return false;
    constexpr int need = d::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | d::npy_api::NPY_ARRAY_ALIGNED_;
    if ((a->flags & need) != need) return false;
    const auto* desc = d::array_descriptor_proxy(a->descr);
    if (desc->type_num < kNpyByte || desc->type_num > kNpyULongLong || !native_order(desc->byteorder)) return false;
    s.data = a->data;
    s.type = desc->type_num;
    s.n = a->dimensions[0];
    return true;
}

// x is a value of D (no wrap-around through mixed-sign comparisons)
template <class D, class S>
bool fits(S x) {
    if constexpr (std::is_signed_v<S> == std::is_signed_v<D>)
        return x >= std::numeric_limits<D>::min() && x <= std::numeric_limits<D>::max();
    else if constexpr (std::is_signed_v<S>)
        return x >= 0 && static_cast<std::make_unsigned_t<S>>(x) <= std::numeric_limits<D>::max();
    else
        return x <= static_cast<std::make_unsigned_t<D>>(std::numeric_limits<D>::max());
}

template <class S, class D>
bool narrow(const char* src, py::ssize_t count, D* dst) {
    const S* s = reinterpret_cast<const S*>(src);
    for (py::ssize_t i = 0; i < count; ++i) {
        if (!fits<D>(s[i])) return false;
        dst[i] = static_cast<D>(s[i]);
    }
    return true;
}

// Copy `count` values of `s` into `dst`; false when one does not fit D (the Python path then names it).
template <class D>
bool convert(const Src& s, py::ssize_t count, D* dst) {
    switch (s.type) {  // numpy's type numbers of the C integer types
        case 1: return narrow<signed char>(s.data, count, dst);
        case 2: return narrow<unsigned char>(s.data, count, dst);
        case 3: return narrow<short>(s.data, count, dst);
        case 4: return narrow<unsigned short>(s.data, count, dst);
        case 5: return narrow<int>(s.data, count, dst);
        case 6: return narrow<unsigned int>(s.data, count, dst);
        case 7: return narrow<long>(s.data, count, dst);
        case 8: return narrow<unsigned long>(s.data, count, dst);
        case 9: return narrow<long long>(s.data, count, dst);
        case 10: return narrow<unsigned long long>(s.data, count, dst);
        default: return false;
    }
}

// The three fields of N rows (matrix (N,7,7) uint8, ops (N,7) int8, n_vertices (N,) uint8) as views of one
// fresh buffer of 57 bytes per row: four array objects where three arrays and their read-only views
// (frozen() in arrays.hpp) took six (about 0.1 us of a one-cell call). Fill M, O, V, then views() makes
// the buffer read-only and returns the views, which therefore cannot be made writeable either.
struct Rows57 {
    py::ssize_t N;
    py::array_t<std::uint8_t> owner;
    std::uint8_t* M;
    std::int8_t* O;
    std::uint8_t* V;
    explicit Rows57(py::ssize_t n)
        : N(n), owner(57 * n), M(owner.mutable_data()), O(reinterpret_cast<std::int8_t*>(M + 49 * n)), V(M + 56 * n) {}
    py::tuple views() {
        py::detail::array_proxy(owner.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
        return py::make_tuple(py::array(py::dtype::of<std::uint8_t>(), std::vector<py::ssize_t>{N, 7, 7}, M, owner),
                              py::array(py::dtype::of<std::int8_t>(), std::vector<py::ssize_t>{N, 7}, O, owner),
                              py::array(py::dtype::of<std::uint8_t>(), std::vector<py::ssize_t>{N}, V, owner));
    }
};

}  // namespace

void register_nb101_arrays(py::module_& m) {
    m.def(
        "nb101_from_arrays",
        [](py::handle matrix, py::handle ops, py::handle n_vertices) -> py::object {
            static const py::ssize_t tail_m[] = {7, 7}, tail_o[] = {7};
            Src sm, so, sv;
            if (!source(matrix, 3, tail_m, sm) || !source(ops, 2, tail_o, so) || so.n != sm.n) return py::none();
            const bool given = !n_vertices.is_none();
            if (given && (!source(n_vertices, 1, nullptr, sv) || sv.n != sm.n)) return py::none();
            const py::ssize_t N = sm.n;
            Rows57 out(N);
            std::uint8_t* M = out.M;
            std::int8_t* O = out.O;
            std::uint8_t* V = out.V;
            if (!convert(sm, 49 * N, M) || !convert(so, 7 * N, O)) return py::none();
            if (given) {
                if (!convert(sv, N, V)) return py::none();
            } else {
                for (py::ssize_t i = 0; i < N; ++i) {
                    int k = 0;
                    while (k < 7 && O[7 * i + k] != -2) ++k;
                    if (k == 7) return py::none();  // no output code: the Python path says so
                    V[i] = static_cast<std::uint8_t>(k + 1);
                }
            }
            for (py::ssize_t i = 0; i < N; ++i)
                if (nb::check_row(M + 49 * i, O + 7 * i, V[i]) != nb::kOk) return py::none();
            return out.views();  // read-only views: they become a batch
        },
        py::arg("matrix"), py::arg("ops"), py::arg("n_vertices") = py::none(),
        "(matrix, ops, n_vertices) as fresh read-only uint8/int8/uint8 arrays from C-contiguous integer arrays "
        "of in-range values and well-formed rows; None for anything else (NB101.from_arrays then runs its "
        "Python path, which raises the error naming the problem).");
}

}  // namespace fastnas_bind
