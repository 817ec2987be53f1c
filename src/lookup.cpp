#include "lookup.hpp"

#include <limits>

#include "rng.hpp"

namespace fastnas {
namespace lookup {

std::int64_t query(const std::uint64_t* keys, std::int64_t n, bool dense, const double* values, std::int64_t s,
                   const std::int8_t* n_seeds, const std::uint64_t* q, std::int64_t m, std::int64_t seed,
                   std::uint64_t base, double* out, std::int64_t* rows) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::int64_t j = 0; j < m; ++j) {
        const std::int64_t r = find_row(keys, n, dense, q[j]);
        rows[j] = r;
        if (r < 0) {
            out[j] = nan;
            continue;
        }
        const std::int64_t ns = n_seeds[r];
        if (ns < 1 || ns > s) return j;
        std::int64_t col;
        if (seed >= 0) {
            if (seed >= ns) {
                out[j] = nan;
                continue;
            }
            col = seed;
        } else {
            Rng rng(base, static_cast<std::uint64_t>(j));
            col = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(ns)));
        }
        out[j] = values[r * s + col];
    }
    return -1;
}

}  // namespace lookup
}  // namespace fastnas
