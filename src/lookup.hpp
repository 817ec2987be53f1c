// Tabular-benchmark lookup: map uint64 keys to rows of a store (sorted-key binary search, or direct
// indexing when the keys are exactly 0..n-1) and gather one value per query.
// Definition (the Python twin fastnas/nasbench/_lookup.py:py_query is the specification):
//   row(q)  = the i with keys[i] == q, or -1
//   out[j]  = NaN if row < 0; else values[row, col] when seed >= 0 (NaN if col >= n_seeds[row]);
//             else (seed == -1, "sample") values[row, Rng(base, j).below(n_seeds[row])].
#pragma once
#include <cstdint>

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

// Fills rows[0..m) and out[0..m). Returns -1 on success, else the query index j whose row has an
// n_seeds entry outside 1..s (a corrupt store); nothing is read out of bounds.
std::int64_t query(const std::uint64_t* keys, std::int64_t n, bool dense, const double* values, std::int64_t s,
                   const std::int8_t* n_seeds, const std::uint64_t* q, std::int64_t m, std::int64_t seed,
                   std::uint64_t base, double* out, std::int64_t* rows);

}  // namespace lookup
}  // namespace fastnas
