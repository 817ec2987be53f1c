#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "rng.hpp"

namespace py = pybind11;

namespace fastnas_bind {

void register_common(py::module_& m) {
    m.attr("__compiler__") = py::str(
#if defined(__clang__)
        "clang " __clang_version__
#elif defined(__GNUC__)
        "gcc " __VERSION__
#else
        "unknown"
#endif
    );
    // Draws `n` raw outputs of stream (seed, row): used by the parity tests of the generator.
    m.def(
        "rng_stream",
        [](std::uint64_t seed, std::uint64_t row, py::ssize_t n) {
            if (n < 0) throw py::value_error("n must be >= 0");
            py::array_t<std::uint64_t> out(n);
            auto* p = out.mutable_data();
            fastnas::Rng rng(seed, row);
            for (py::ssize_t i = 0; i < n; ++i) p[i] = rng.next();
            return out;
        },
        py::arg("seed"), py::arg("row"), py::arg("n"));
}

}  // namespace fastnas_bind
