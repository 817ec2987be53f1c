"""Build of the compiled core ``fastnas._core``.

The C++17 core library lives in ``src/`` (plain C++, no Python headers); the
pybind11 bindings live in ``csrc/``. Every ``*.cpp`` in both folders is part of
the one extension, so adding a concept means adding files, not editing this.
"""
import glob
import os
import sys

from pybind11.setup_helpers import Pybind11Extension, ParallelCompile, build_ext, naive_recompile
from setuptools import setup

# FASTNAS_FAST_REBUILD=1 recompiles only sources newer than their objects (developer loop; a changed
# header is not noticed, so leave it off for real builds).
_fast = os.environ.get("FASTNAS_FAST_REBUILD") == "1"
ParallelCompile("FASTNAS_BUILD_JOBS", default=0, **({"needs_recompile": naive_recompile} if _fast else {})).install()

extra = ["-O3", "-Wall", "-Wextra", "-fvisibility=hidden"]
link = []
if os.environ.get("FASTNAS_ASAN"):
    # AddressSanitizer build for the property tests: FASTNAS_ASAN=1 pip install -e .
    extra = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-Wall", "-Wextra"]
    link = ["-fsanitize=address,undefined"]

sources = sorted(glob.glob("src/*.cpp")) + sorted(glob.glob("csrc/*.cpp"))
ext = Pybind11Extension(
    "fastnas._core",
    sources,
    include_dirs=["src"],
    cxx_std=17,
    extra_compile_args=extra,
    extra_link_args=link + (["-pthread"] if sys.platform.startswith("linux") else []),
    depends=sorted(glob.glob("src/*.hpp")) + sorted(glob.glob("csrc/*.hpp")),
)

setup(ext_modules=[ext], cmdclass={"build_ext": build_ext})
