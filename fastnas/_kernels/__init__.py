"""Numba kernels. Each module's functions are plain Python decorated with ``njit(cache=True)``;
``fastnas._kernels.jit`` returns the undecorated function when numba is missing or disabled."""
