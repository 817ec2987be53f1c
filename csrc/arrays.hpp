// Array helpers of the bindings' one-cell paths: read-only kernel outputs, contiguity without a conversion call.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/numpy.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fastnas_bind {
// A read-only view of a fresh kernel output `a` (which nothing else references): `a` itself is made
// read-only and becomes the view's base, so the view's flag cannot be switched back (numpy refuses
// write=True on a view of a read-only owner). The Python side then wraps these arrays in a batch
// without a per-array setflags/view round trip (`Cells._trusted` uses a read-only view as it is).
inline pybind11::array frozen(const pybind11::array& a) {
    namespace py = pybind11;
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    PyObject* v = py::detail::npy_api::get().PyArray_View_(a.ptr(), nullptr, nullptr);
    if (v == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::array>(v);
}

// `h` as a C-contiguous array of T without a conversion call when it already is one (the common case:
// arrays of a validated batch), else pybind11's `ensure` (a contiguous copy). The caller has checked that
// `h` is an array of an equivalent dtype.
template <class T>
pybind11::array_t<T, pybind11::array::c_style> contiguous(const pybind11::array& a) {
    namespace py = pybind11;
    if (py::detail::check_flags(a.ptr(), py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_) &&
        py::detail::array_descriptor_proxy(py::detail::array_proxy(a.ptr())->descr)->type_num ==
            py::dtype::num_of<T>())
        return py::reinterpret_borrow<py::array_t<T, py::array::c_style>>(a);
    return py::array_t<T, py::array::c_style>::ensure(a);
}

// Releases the GIL for its scope only when `release` (a batch big enough): releasing and re-taking it costs
// more than a one-cell kernel, and a one-cell call gains nothing from other threads running meanwhile.
struct NoGilIf {
    std::optional<pybind11::gil_scoped_release> scope;
    explicit NoGilIf(bool release) {
        if (release) scope.emplace();
    }
};
constexpr pybind11::ssize_t kNoGilRows = 256;

// An uninitialised (n,) array of numpy's `<U32` (32 UCS-4 code points per item: what NB101.hash returns),
// so a kernel writes the strings itself instead of handing back bytes for Python to decode. The dtype is
// made once and never freed (a static py::object would be destroyed after the interpreter).
inline pybind11::array str32_array(pybind11::ssize_t n) {
    namespace py = pybind11;
    static const py::dtype* const u32 = new py::dtype(std::string("<U32"));
    return py::array(*u32, std::vector<py::ssize_t>{n});
}

// Item `dst` of a `<U32` array: 32 ASCII characters as code points, or the empty string for `ascii` ==
// nullptr (all code points zero, as numpy stores "").
inline void put_str32(std::uint32_t* dst, const char* ascii) {
    if (ascii == nullptr) {
        for (int c = 0; c < 32; ++c) dst[c] = 0;
        return;
    }
    for (int c = 0; c < 32; ++c) dst[c] = static_cast<unsigned char>(ascii[c]);
}
}  // namespace fastnas_bind
