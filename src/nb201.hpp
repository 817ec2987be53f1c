// NAS-Bench-201 cell space kernels (plain C++17, no Python headers).
//
// A cell is 6 edge op codes in arch-string edge order (0,1),(0,2),(1,2),(0,3),(1,3),(2,3) with the
// official NAS-Bench-201 op codes 0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3, 4 avg_pool_3x3
// (Dong & Yang, ICLR 2020). Every function works on a batch of n rows stored contiguously (n x 6 int8)
// and assumes validated input: the bindings check shapes and value ranges first.
// The readable twins are in fastnas/_kernels/nb201_ref.py; both must give identical results.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fastnas {
namespace nb201 {

constexpr int kEdges = 6;
constexpr int kOps = 5;
constexpr int kCells = 15625;  // 5^6
constexpr int kEncAdjacency = 30;
constexpr int kEncPath = 155;
constexpr int kGcnNodes = 8;
constexpr int kGcnOps = 7;
constexpr int kEncGcn = kGcnNodes * kGcnOps + kGcnNodes * kGcnNodes;  // 120

// First row (>= 0) holding a code outside [0, 5), or -1.
std::ptrdiff_t first_bad_row(const std::int8_t* ops, std::size_t n);

// base-5 code, ops[0] most significant: code = sum_e ops[e] * 5^(5-e), in [0, 15625).
void to_code(const std::int8_t* ops, std::size_t n, std::int64_t* out);
void from_code(const std::int64_t* codes, std::size_t n, std::int8_t* ops);
inline int code_of(const std::int8_t* r) {
    int c = 0;
    for (int e = 0; e < kEdges; ++e) c = c * kOps + r[e];
    return c;
}

// Parse one arch string "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|" into r[6]. Returns 0 on success, else an
// error code: 1 malformed structure, 2 unknown op name, 3 wrong source node, 4 missing "~node"; for
// 2-4 the term (edge) index is in bits 4 and up.
int parse_string(const char* s, std::size_t len, std::int8_t* r);

// out[k] = lut[ops[perm[k]]] per row (edge permutation + op relabelling: NASLib, naszilla).
void remap(const std::int8_t* ops, std::size_t n, const std::int64_t* perm, const std::int8_t* lut,
           std::int8_t* out);

// 4x4 edge-op matrices: m[i][j] = op code of edge i->j for i < j (0 = none = no edge), 0 elsewhere.
void to_matrix(const std::int8_t* ops, std::size_t n, std::int8_t* out);
// Assumes a validated matrix (lower triangle and diagonal zero, entries in [0,5)).
void from_matrix(const std::int8_t* m, std::size_t n, std::int8_t* ops);

// Input node 0 connected to output node 3 through non-none edges.
void is_valid(const std::int8_t* ops, std::size_t n, bool* out);
bool valid_one(const std::int8_t* r);

// Isomorphism key: the base-5 code of the smallest cell of the same class (see nb201.cpp).
// mode kNats: NATS-Bench unique string (treat_none_as_op=false: 6,466 classes; true: 12,751).
// mode kDag: labelled-DAG isomorphism of the pruned cell under the swap of the inner nodes
// (8,765 classes; treat_none_as_op=true: no pruning, 15,625).
enum KeyMode : int { kNats = 0, kDag = 1 };
void key(const std::int8_t* ops, std::size_t n, bool treat_none_as_op, int mode, std::uint64_t* out);
const std::uint16_t* key_table(bool treat_none_as_op, int mode = kNats);  // code -> canonical code
// The DAG canonical code of one cell.
int dag_canonical(const std::int8_t* r, bool treat_none_as_op);

// Encodings (float32 rows): adjacency one-hot (30), naszilla path (155; naslib_quirk reproduces NASLib),
// gcn (8x7 node one-hot then 8x8 row-normalised A + I; 120).
void encode_adjacency(const std::int8_t* ops, std::size_t n, float* out);
// Only the first k of the 155 columns are written (row stride k): path_trunc.
void encode_path(const std::int8_t* ops, std::size_t n, bool naslib_quirk, int k, float* out);
void encode_gcn(const std::int8_t* ops, std::size_t n, float* out);

// Random moves: row i draws from Rng(seed, i).
void sample(std::size_t n, std::uint64_t seed, bool valid_only, std::int8_t* out);
// Sequential unique sampling (up to isomorphism); returns false if n exceeds the number of classes.
bool sample_unique(std::size_t n, std::uint64_t seed, bool valid_only, std::int8_t* out);
void mutate(const std::int8_t* ops, std::size_t n, double rate, std::uint64_t seed, bool one_edge,
            bool valid_only, std::int8_t* out);
// Number of available classes for sample_unique.
std::size_t n_classes(bool valid_only);

// All 24 single-edge changes of each row (edge-major, new op ascending). dedup drops a neighbour
// isomorphic to its parent or to an earlier neighbour of the same parent. Returns the count written
// (out must hold 24 * n rows).
std::size_t neighbors(const std::int8_t* ops, std::size_t n, bool dedup, std::int8_t* out,
                      std::int64_t* parent);

}  // namespace nb201
}  // namespace fastnas
