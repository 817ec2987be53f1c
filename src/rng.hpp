// splitmix64: the one random generator of the compiled kernels.
// It is written identically in fastnas/_kernels/rng.py (numba and plain Python), so that a
// stochastic kernel gives bit-identical results on every backend and parity tests can be exact.
// Reference: Steele, Lea, Flood, "Fast splittable pseudorandom number generators" (2014).
#pragma once
#include <cstdint>

namespace fastnas {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

// The splitmix64 output function (a bijective 64-bit mixer).
inline std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// A generator stream. Row i of a batch drawn with base seed s uses Rng(s, i): independent of how
// the batch is split across threads or calls.
struct Rng {
    std::uint64_t state;
    explicit Rng(std::uint64_t seed) : state(seed) {}
    Rng(std::uint64_t base, std::uint64_t row) : state(mix64(base ^ mix64(row + kGolden))) {}
    std::uint64_t next() {
        state += kGolden;
        return mix64(state);
    }
    // Integer in [0, n), n > 0. Modulo bias is below n / 2^64 and accepted for exactness across backends.
    std::uint64_t below(std::uint64_t n) { return next() % n; }
    // Double in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

}  // namespace fastnas
