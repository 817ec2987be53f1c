#include "lookup.hpp"

#include <limits>

#include "rng.hpp"

namespace fastnas {
namespace lookup {

std::int64_t table_size(std::int64_t n) {
    std::int64_t m = 2;
    while (m < 2 * n) m *= 2;
    return m;
}

void build_table(const std::uint64_t* keys, std::int64_t n, std::int64_t* table, std::int64_t m_slots) {
    const std::uint64_t mask = static_cast<std::uint64_t>(m_slots - 1);
    for (std::int64_t i = 0; i < m_slots; ++i) table[i] = -1;
    for (std::int64_t r = 0; r < n; ++r) {
        std::uint64_t slot = mix64(keys[r]) & mask;
        while (table[slot] >= 0) slot = (slot + 1) & mask;
        table[slot] = r;
    }
}

std::int64_t query(const std::uint64_t* keys, std::int64_t n, bool dense, const std::int64_t* table,
                   std::int64_t m_slots, const double* values, std::int64_t s, const std::int8_t* n_seeds,
                   const std::uint64_t* q, std::int64_t m, std::int64_t seed, std::uint64_t base, double* out,
                   std::int64_t* rows) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::int64_t j = 0; j < m; ++j) {
        const std::int64_t r = (table != nullptr && !dense) ? find_row_hashed(keys, n, table, m_slots, q[j])
                                                            : find_row(keys, n, dense, q[j]);
        rows[j] = r;
        if (r == -2) return j;
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
