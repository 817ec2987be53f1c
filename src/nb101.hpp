// NAS-Bench-101 cell graphs: pruning, validity, canonical key, fingerprint, enumeration, sampling,
// mutation, neighbours and path encoding. Definitions: Ying et al. 2019 (NAS-Bench-101) and the
// nasbench reference code (ModelSpec pruning, graph_util.hash_module); BANANAS (White et al. 2021)
// for mutation and the path encoding. Each function has a pure-Python twin in
// fastnas/spaces/nb101_ref.py that is the specification; results must be identical.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rng.hpp"

namespace fastnas {
namespace nb101 {

constexpr int kMaxV = 7;
constexpr int kMaxEdges = 9;
constexpr int kPathLen = 364;  // sum_{L<=5} 3^L

// Bit count of a small mask (SWAR; __builtin_popcount becomes a libgcc call without -mpopcnt).
inline int popcount32(std::uint32_t x) {
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0F0F0F0Fu;
    return static_cast<int>((x * 0x01010101u) >> 24);
}

// One cell: n vertices, out[i] = bit mask of the successors j > i of vertex i, op[i] = op code
// (input -1, output -2, conv3x3 0, conv1x1 1, maxpool 2, padding -3).
struct Graph {
    std::uint8_t n = 0;
    std::uint8_t out[kMaxV] = {0, 0, 0, 0, 0, 0, 0};
    std::int8_t op[kMaxV] = {-3, -3, -3, -3, -3, -3, -3};
};

// Read row (matrix 7x7 row-major, ops 7, n). Only the strict upper triangle of the leading n x n
// block is read; any nonzero entry is an edge. n must be in 2..7 (the bindings check it).
Graph load(const std::uint8_t* matrix, const std::int8_t* ops, std::uint8_t n);
// Write a graph padded to 7 vertices (zeros in the matrix, -3 in ops beyond n).
void store(const Graph& g, std::uint8_t* matrix, std::int8_t* ops, std::uint8_t* n);

int n_edges(const Graph& g);
// Keep the vertices on some input -> output path (order kept). False (g untouched) when the input
// does not reach the output.
bool prune(Graph& g);
// In the space: connected and, after pruning, at most 9 edges (and 7 vertices, always true here).
bool pruned_valid(Graph& g);  // prunes g in place; returns validity

// Row-level error code of a raw row (used to build messages): 0 ok, see CheckError.
enum CheckError : std::int8_t {
    kOk = 0,
    kBadSize = 1,       // n outside 2..7
    kUnknownOp = 2,     // inner op not in 0..2
    kInputMisplaced = 3,
    kOutputMisplaced = 4,
    kNotBinary = 5,     // an entry other than 0/1
    kNotUpper = 6,      // a nonzero entry on or below the diagonal
    kBadPadding = 7,    // nonzero matrix entries or ops other than -3 beyond n
};
std::int8_t check_row(const std::uint8_t* matrix, const std::int8_t* ops, std::uint8_t n);
// The reason of check_row's code and where the row breaks it, e.g. "non-0/1 entries (matrix[0][1] = 255)";
// empty for a good row. The exact text of nb101_ref.describe_row (parity-tested).
const char* reason(std::int8_t code);
std::string describe_row(const std::uint8_t* matrix, const std::int8_t* ops, std::uint8_t n);

// Canonical isomorphism key of a pruned, valid graph (see nb101_key.cpp for the exact layout).
std::uint64_t canonical_key(const Graph& pruned);
// Key of any raw graph: 0 when the cell is not in the space.
std::uint64_t key_of(Graph g);

// NAS-Bench-101 fingerprint (32 lower-case hex chars) of a pruned graph.
void fingerprint(const Graph& pruned, char out[32]);

// All full DAGs with exactly v vertices (v in 2..7) and <= 9 edges, with every op labelling, one
// representative per isomorphism class: the first in enumeration order (matrix bit mask ascending,
// ops lexicographic). keys[i] is the canonical key of out[i].
void enumerate(int v, std::vector<Graph>& out, std::vector<std::uint64_t>& keys);

// The reference sampler (mode 0: random 7x7 upper-triangular 0/1 matrix and ops, rejection until
// valid, pruned) or uniform over full 7-vertex DAGs with <= 9 edges (mode 1).
Graph sample(Rng& rng, int mode);

// BANANAS mutation of a valid parent with key parent_key (0: not known yet, computed when needed).
Graph mutate(const Graph& parent, std::uint64_t parent_key, double rate, Rng& rng);

// Valid single-edit neighbours of a valid cell, pruned, deduplicated up to isomorphism, parent
// excluded. Returns how many were appended.
int neighbors(const Graph& parent, std::vector<Graph>& out);

// Path encoding (first k of the 364 entries) of the graph as given (paths are unchanged by pruning).
void path_encode(const Graph& g, int k, std::uint8_t* out);

}  // namespace nb101
}  // namespace fastnas
