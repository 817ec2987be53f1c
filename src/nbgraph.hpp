// NAS-Bench-Graph space kernels (definitions: fastnas/spaces/nbgraph_ref.py, the readable twin).
// A cell is a macro pattern index p (0..8, into kLinks) and 4 op codes (0..8, the benchmark's
// gnn_list order; 8 = skip).
#pragma once
#include <cstdint>

namespace fastnas {
namespace nbgraph {

constexpr int kLinks = 9;
constexpr int kOps = 9;
constexpr int kSkip = 8;

// Canonical (pattern, ops) of (p, ops): the benchmark's skip normalisation and equal-part sort.
void canonical(int p, const std::int8_t* ops, int* q, std::int8_t* out);
// The benchmark key ("valid_hash") of (p, ops): canonical pattern then op codes as base-10 digits.
std::int64_t key(int p, const std::int8_t* ops);
bool is_valid(const std::int8_t* ops, unsigned allowed);
// Row `row` of a batch drawn with base seed `seed`.
void sample(std::uint64_t seed, std::uint64_t row, unsigned allowed, std::int8_t* p, std::int8_t* ops);
void mutate(int p, const std::int8_t* ops, double rate, unsigned allowed, std::uint64_t seed, std::uint64_t row,
            std::int8_t* q, std::int8_t* out);
// Raw single-change neighbours of one cell into (q, out); returns how many (at most 8 + 4 * 8).
int neighbors(int p, const std::int8_t* ops, unsigned allowed, std::int8_t* q, std::int8_t* out);
void onehot(int p, const std::int8_t* ops, std::uint8_t* out);  // 45 values
void gcn(int p, const std::int8_t* ops, float* out);            // 36 + 66 values

}  // namespace nbgraph
}  // namespace fastnas
