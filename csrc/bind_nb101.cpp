#include "bindings.hpp"

namespace py = pybind11;

namespace fastnas_bind {

void register_nb101(py::module_& m) { (void)m; }

}  // namespace fastnas_bind
