#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
    m.doc() = "fastnas compiled core (C++17 kernels under pybind11 bindings)";
    fastnas_bind::register_common(m);
    fastnas_bind::register_nb101(m);
    fastnas_bind::register_nb201(m);
    fastnas_bind::register_darts(m);
    fastnas_bind::register_nbgraph(m);
    fastnas_bind::register_lookup(m);
}
