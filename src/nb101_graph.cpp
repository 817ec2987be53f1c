// NB101 graph basics: array conversion, pruning (nasbench ModelSpec._prune) and row checks.
#include <cstring>

#include "nb101.hpp"

namespace fastnas {
namespace nb101 {

Graph load(const std::uint8_t* matrix, const std::int8_t* ops, std::uint8_t n) {
    Graph g;
    g.n = n;
    for (int i = 0; i < n; ++i) {
        std::uint8_t m = 0;
        const std::uint8_t* row = matrix + i * kMaxV;
        for (int j = i + 1; j < n; ++j)
            if (row[j]) m |= static_cast<std::uint8_t>(1u << j);
        g.out[i] = m;
        g.op[i] = ops[i];
    }
    return g;
}

void store(const Graph& g, std::uint8_t* matrix, std::int8_t* ops, std::uint8_t* n) {
    std::memset(matrix, 0, kMaxV * kMaxV);
    for (int i = 0; i < kMaxV; ++i) ops[i] = -3;
    for (int i = 0; i < g.n; ++i) {
        ops[i] = g.op[i];
        for (int j = i + 1; j < g.n; ++j) matrix[i * kMaxV + j] = (g.out[i] >> j) & 1u;
    }
    *n = g.n;
}

int n_edges(const Graph& g) {
    int e = 0;
    for (int i = 0; i < g.n; ++i) e += popcount32(g.out[i]);
    return e;
}

bool prune(Graph& g) {
    const int n = g.n;
    unsigned fwd = 1u;  // reachable from the input (vertices in index order are topological)
    for (int i = 0; i < n; ++i)
        if ((fwd >> i) & 1u) fwd |= g.out[i];
    unsigned bwd = 1u << (n - 1);  // reaches the output
    for (int i = n - 2; i >= 0; --i)
        if (g.out[i] & bwd) bwd |= 1u << i;
    const unsigned keep = fwd & bwd;
    if (!(keep & 1u)) return false;
    if (keep == (1u << n) - 1u) return true;
    int newidx[kMaxV];
    int k = 0;
    for (int v = 0; v < n; ++v) newidx[v] = ((keep >> v) & 1u) ? k++ : -1;
    Graph h;
    h.n = static_cast<std::uint8_t>(k);
    for (int v = 0; v < n; ++v) {
        if (newidx[v] < 0) continue;
        std::uint8_t m = 0;
        unsigned succ = g.out[v] & keep;
        while (succ) {
            const int w = __builtin_ctz(succ);
            succ &= succ - 1;
            m |= static_cast<std::uint8_t>(1u << newidx[w]);
        }
        h.out[newidx[v]] = m;
        h.op[newidx[v]] = g.op[v];
    }
    g = h;
    return true;
}

bool pruned_valid(Graph& g) { return prune(g) && n_edges(g) <= kMaxEdges; }

std::int8_t check_row(const std::uint8_t* matrix, const std::int8_t* ops, std::uint8_t n) {
    if (n < 2 || n > kMaxV) return kBadSize;
    for (int i = 0; i < kMaxV; ++i)
        for (int j = 0; j < kMaxV; ++j)
            if (matrix[i * kMaxV + j] > 1) return kNotBinary;
    for (int i = 0; i < kMaxV; ++i)
        for (int j = 0; j < kMaxV; ++j) {
            const bool inside = i < n && j < n;
            if (inside && j <= i && matrix[i * kMaxV + j]) return kNotUpper;
        }
    if (ops[0] != -1) return kInputMisplaced;
    if (ops[n - 1] != -2) return kOutputMisplaced;
    for (int i = 1; i < n - 1; ++i) {
        if (ops[i] == -1) return kInputMisplaced;
        if (ops[i] == -2) return kOutputMisplaced;
        if (ops[i] < 0 || ops[i] > 2) return kUnknownOp;
    }
    for (int i = 0; i < kMaxV; ++i) {
        if (i >= n && ops[i] != -3) return kBadPadding;
        for (int j = 0; j < kMaxV; ++j)
            if ((i >= n || j >= n) && matrix[i * kMaxV + j]) return kBadPadding;
    }
    return kOk;
}

}  // namespace nb101
}  // namespace fastnas
