// Tabular-benchmark lookup: map uint64 keys to rows of a store (direct indexing when the keys are exactly
// 0..n-1; else an open-addressing hash table over the sorted keys when one is given, else binary search)
// and gather one value per query.
// Definition (the Python twin fastnas/nasbench/_lookup.py:py_query is the specification):
//   row(q)  = the i with keys[i] == q, or -1
//   out[j]  = NaN if row < 0; else values[row, col] when seed >= 0 (NaN if col >= n_seeds[row]);
//             else (seed == -1, "sample") values[row, Rng(base, j).below(n_seeds[row])].
#pragma once
#include <cstdint>

#include "rng.hpp"

namespace fastnas {
namespace lookup {

// Index of key q in the strictly increasing keys[0..n), or -1.
inline std::int64_t find_row(const std::uint64_t* keys, std::int64_t n, bool dense, std::uint64_t q) {
    if (dense) return q < static_cast<std::uint64_t>(n) ? static_cast<std::int64_t>(q) : -1;
    std::int64_t lo = 0, hi = n;
    while (lo < hi) {
        std::int64_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < q) lo = mid + 1; else hi = mid;
    }
    return (lo < n && keys[lo] == q) ? lo : -1;
}

// Hash table over keys[0..n): m_slots = the smallest power of two >= 2n (at least 2); slot of a key =
// mix64(key) & (m_slots - 1), linear probing; entries are row indices, -1 = empty. Rows are inserted in
// order 0..n-1 (so the table is identical on every backend).
std::int64_t table_size(std::int64_t n);
void build_table(const std::uint64_t* keys, std::int64_t n, std::int64_t* table, std::int64_t m_slots);

// Row of q via the hash table, -1 if absent, -2 if the table is corrupt (an entry outside -1..n-1, or no
// empty slot on the probe path): every entry is checked before it is used as an index.
inline std::int64_t find_row_hashed(const std::uint64_t* keys, std::int64_t n, const std::int64_t* table,
                                    std::int64_t m_slots, std::uint64_t q) {
    const std::uint64_t mask = static_cast<std::uint64_t>(m_slots - 1);
    std::uint64_t slot = mix64(q) & mask;
    for (std::int64_t probe = 0; probe < m_slots; ++probe) {
        const std::int64_t r = table[slot];
        if (r == -1) return -1;
        if (r < -1 || r >= n) return -2;
        if (keys[r] == q) return r;
        slot = (slot + 1) & mask;
    }
    return -2;
}

// Fills rows[0..m) and out[0..m). `table` (m_slots entries) may be null: binary search then.
// Returns -1 on success, else the query index j at which a corrupt store was detected (an n_seeds entry
// outside 1..s, or a corrupt hash table; rows[j] is -2 for the latter); nothing is read out of bounds. Returns -1 on success, else the query index j whose row has an
// n_seeds entry outside 1..s (a corrupt store); nothing is read out of bounds.
std::int64_t query(const std::uint64_t* keys, std::int64_t n, bool dense, const std::int64_t* table,
                   std::int64_t m_slots, const double* values, std::int64_t s, const std::int8_t* n_seeds,
                   const std::uint64_t* q, std::int64_t m, std::int64_t seed, std::uint64_t base, double* out,
                   std::int64_t* rows);

}  // namespace lookup
}  // namespace fastnas
