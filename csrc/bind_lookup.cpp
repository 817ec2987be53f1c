#include "bindings.hpp"

namespace py = pybind11;

namespace fastnas_bind {

void register_lookup(py::module_& m) { (void)m; }

}  // namespace fastnas_bind
