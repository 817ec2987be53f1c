// Each binding file registers its functions on the module. Bindings only validate and convert
// arrays, release the GIL and call the core library in src/.
#pragma once
#include <pybind11/pybind11.h>

namespace fastnas_bind {
void register_common(pybind11::module_& m);
void register_nb101(pybind11::module_& m);
void register_nb101_specs(pybind11::module_& m);
void register_nb101_arrays(pybind11::module_& m);
void register_nb201(pybind11::module_& m);
void register_darts(pybind11::module_& m);
void register_darts_genotype(pybind11::module_& m);
void register_nbgraph(pybind11::module_& m);
void register_lookup(pybind11::module_& m);
}  // namespace fastnas_bind
