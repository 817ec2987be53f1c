// NB101 graph basics: array conversion, pruning (nasbench ModelSpec._prune) and row checks.
#include <cstring>
#include <string>

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

namespace {
// Bit t = 7 * i + j of the 7 x 7 matrix. lower[n]: on or below the diagonal inside the leading
// n x n block; outside[n]: a row or column >= n (padding). The byte forms (0xFF where the bit is
// set) let check_row test all 49 entries with a few vector instructions.
struct Masks {
    std::uint64_t lower[kMaxV + 1] = {};
    std::uint64_t outside[kMaxV + 1] = {};
    alignas(64) std::uint8_t lower_b[kMaxV + 1][64] = {};
    alignas(64) std::uint8_t outside_b[kMaxV + 1][64] = {};
    Masks() {
        for (int n = 0; n <= kMaxV; ++n)
            for (int i = 0; i < kMaxV; ++i)
                for (int j = 0; j < kMaxV; ++j) {
                    const int t = i * kMaxV + j;
                    const std::uint64_t b = std::uint64_t{1} << t;
                    if (i < n && j < n && j <= i) lower[n] |= b, lower_b[n][t] = 0xFF;
                    if (i >= n || j >= n) outside[n] |= b, outside_b[n][t] = 0xFF;
                }
    }
};
const Masks kMasks;

std::string ops_list(const std::int8_t* ops, int n) {
    std::string s = "[";
    for (int k = 0; k < n; ++k) s += (k ? ", " : "") + std::to_string(ops[k]);
    return s + "]";
}

std::string entry(const std::uint8_t* m, int a, int b) {
    return "matrix[" + std::to_string(a) + "][" + std::to_string(b) + "] = " + std::to_string(m[a * kMaxV + b]);
}
}  // namespace

// One pass over the 49 bytes (vectorised): entries > 1, then the nonzero mask against the lower
// triangle and the padding; the kernels run this on every row they read, so it must stay cheap.
std::int8_t check_row(const std::uint8_t* matrix, const std::int8_t* ops, std::uint8_t n) {
    if (n < 2 || n > kMaxV) return kBadSize;
    // eight bytes at a time (the 49th byte is the last word's first; the masks are zero past it)
    std::uint64_t big = 0, low = 0, pad = 0;
    const std::uint8_t* lb = kMasks.lower_b[n];
    const std::uint8_t* ob = kMasks.outside_b[n];
    for (int t = 0; t < 48; t += 8) {
        std::uint64_t w, l, o;
        std::memcpy(&w, matrix + t, 8);
        std::memcpy(&l, lb + t, 8);
        std::memcpy(&o, ob + t, 8);
        big |= w & 0xFEFEFEFEFEFEFEFEull;
        low |= w & l;
        pad |= w & o;
    }
    big |= matrix[48] & 0xFEu;
    low |= matrix[48] & lb[48];
    pad |= matrix[48] & ob[48];
    if (big) return kNotBinary;
    if (low) return kNotUpper;
    if (ops[0] != -1) return kInputMisplaced;
    if (ops[n - 1] != -2) return kOutputMisplaced;
    for (int i = 1; i < n - 1; ++i) {
        if (ops[i] == -1) return kInputMisplaced;
        if (ops[i] == -2) return kOutputMisplaced;
        if (ops[i] < 0 || ops[i] > 2) return kUnknownOp;
    }
    for (int i = n; i < kMaxV; ++i)
        if (ops[i] != -3) return kBadPadding;
    if (pad) return kBadPadding;
    return kOk;
}

const char* reason(std::int8_t code) {
    switch (code) {
        case kBadSize: return "size outside 2..7";
        case kUnknownOp: return "unknown op";
        case kInputMisplaced: return "input misplaced";
        case kOutputMisplaced: return "output misplaced";
        case kNotBinary: return "non-0/1 entries";
        case kNotUpper: return "not strictly upper triangular";
        case kBadPadding: return "nonzero padding beyond n_vertices (matrix entries or ops other than -3)";
        default: return "ok";
    }
}

std::string describe_row(const std::uint8_t* m, const std::int8_t* ops, std::uint8_t n_) {
    const std::int8_t code = check_row(m, ops, n_);
    if (code == kOk) return "";
    const int n = n_;
    std::string detail;
    if (code == kBadSize) {
        detail = "n_vertices = " + std::to_string(n);
    } else if (code == kNotBinary) {
        for (int t = 0; t < kMaxV * kMaxV && detail.empty(); ++t)
            if (m[t] > 1) detail = entry(m, t / kMaxV, t % kMaxV);
    } else if (code == kNotUpper) {
        for (int t = 0; t < kMaxV * kMaxV && detail.empty(); ++t)
            if (((kMasks.lower[n] >> t) & 1u) && m[t])
                detail = entry(m, t / kMaxV, t % kMaxV) + " is on or below the diagonal";
    } else if (code == kInputMisplaced || code == kOutputMisplaced) {
        const bool in = code == kInputMisplaced;
        const int code_v = in ? -1 : -2, home = in ? 0 : n - 1;
        int k = 0;
        while (k < n && ((ops[k] == code_v) == (k == home))) ++k;
        detail = std::string(in ? "'input' (-1) must be vertex 0 only" : "'output' (-2) must be vertex ") +
                 (in ? "" : std::to_string(n - 1) + " only") + "; op codes " + ops_list(ops, n) + ", vertex " +
                 std::to_string(k);
    } else if (code == kUnknownOp) {
        int k = 1;
        while (k < n - 1 && ops[k] >= 0 && ops[k] <= 2) ++k;
        detail = "op code " + std::to_string(ops[k]) + " at vertex " + std::to_string(k) + "; valid inner codes 0, 1, 2";
    } else {  // kBadPadding
        for (int k = n; k < kMaxV && detail.empty(); ++k)
            if (ops[k] != -3) detail = "n_vertices = " + std::to_string(n) + " but ops[" + std::to_string(k) + "] = " +
                                       std::to_string(ops[k]);
        for (int t = 0; t < kMaxV * kMaxV && detail.empty(); ++t)
            if (((kMasks.outside[n] >> t) & 1u) && m[t])
                detail = "n_vertices = " + std::to_string(n) + " but " + entry(m, t / kMaxV, t % kMaxV);
    }
    return std::string(reason(code)) + " (" + detail + ")";
}

}  // namespace nb101
}  // namespace fastnas
