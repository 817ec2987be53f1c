// DARTS / NAS-Bench-301 space kernels (definitions: fastnas/spaces/darts_ref.py, the readable twin).
// A cell pair is inputs[2][8] and ops[2][8] (int8): cell 0 normal, 1 reduction; edges 2k, 2k+1 feed
// intermediate node k; input 0 = c_{k-2}, 1 = c_{k-1}, 2 + j = intermediate node j; ops 0..6.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace fastnas {
namespace darts {

constexpr int kOps = 7;
constexpr int kEdges = 8;
constexpr int kPathBlock = 2801;
constexpr int kPathLen = 4 * kPathBlock;
constexpr int kAdjCell = 49 + kEdges * kOps;  // 105
constexpr int kGcnCell = 11 * 10 + 11 * 11;    // 231

bool distinct(const std::int8_t* inputs);  // 16 inputs: both edges of each node read different inputs
// Smallest code of one cell over DAG-consistent relabellings of the intermediate nodes (< 2^30).
std::uint32_t cell_code(const std::int8_t* inputs, const std::int8_t* ops);
std::uint64_t key(const std::int8_t* inputs, const std::int8_t* ops);  // 16 + 16 values
void sample(std::uint64_t seed, std::uint64_t row, std::int8_t* inputs, std::int8_t* ops);
void mutate(const std::int8_t* inputs, const std::int8_t* ops, double rate, std::uint64_t seed, std::uint64_t row,
            std::int8_t* out_inputs, std::int8_t* out_ops);
// Raw single changes (120) of one cell pair; returns the count.
int neighbors(const std::int8_t* inputs, const std::int8_t* ops, std::int8_t* out_inputs, std::int8_t* out_ops);
void adjacency(const std::int8_t* inputs, const std::int8_t* ops, std::uint8_t* out);  // 210 values, zeroed here
// First k path-encoding bits (zeroed here); n_edges 8 (naszilla), 7 reproduces NASLib's loop quirk.
void path(const std::int8_t* inputs, const std::int8_t* ops, int k, int n_edges, std::uint8_t* out);
void gcn(const std::int8_t* inputs, const std::int8_t* ops, float* out);                // 462 values

// NAS-Bench-Suite-Zero key text: 0 parsed, 1 malformed, 2 code out of range (reason in *err).
int parse_zc(const char* s, std::size_t n, std::int8_t* inputs, std::int8_t* ops, std::string* err);
// Writes the key text of one cell pair (at most 130 chars, no terminator); returns its length.
std::size_t format_zc(const std::int8_t* inputs, const std::int8_t* ops, char* buf);

}  // namespace darts
}  // namespace fastnas
