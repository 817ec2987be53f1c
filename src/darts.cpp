// DARTS / NAS-Bench-301 kernels; the specification is fastnas/spaces/darts_ref.py (same draws, same
// results). Sources of the definitions: DARTS (Liu et al. 2019), naszilla/NASLib compact form.
#include "darts.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "rng.hpp"

namespace fastnas {
namespace darts {
namespace {

inline bool all_distinct_cell(const std::int8_t* in) {
    for (int k = 0; k < 4; ++k)
        if (in[2 * k] == in[2 * k + 1]) return false;
    return true;
}

}  // namespace

bool distinct(const std::int8_t* inputs) { return all_distinct_cell(inputs) && all_distinct_cell(inputs + 8); }

namespace {

constexpr std::uint32_t kWeight[4] = {147u * 294u * 490u, 294u * 490u, 490u, 1u};

// Digit of old node k placed at position p, its intermediate inputs already placed (newpos[j] >= 0).
inline std::uint32_t node_digit(const std::int8_t* in, const std::int8_t* op, int k, const int* newpos) {
    int a = in[2 * k], oa = op[2 * k], b = in[2 * k + 1], ob = op[2 * k + 1];
    if (a >= 2) a = newpos[a - 2] + 2;
    if (b >= 2) b = newpos[b - 2] + 2;
    if (a > b) {
        std::swap(a, b);
        std::swap(oa, ob);
    }
    return static_cast<std::uint32_t>((b * (b - 1) / 2 + a) * 49 + oa * 7 + ob);
}

// Smallest code of positions p..3. The digit at a position depends only on the nodes placed before
// it, so the lexicographic minimum over DAG-respecting orders is greedy: place a ready node of
// smallest digit, branching only over ties (nodes with equal digits).
std::uint32_t min_suffix(const std::int8_t* in, const std::int8_t* op, int p, unsigned placed, int* newpos) {
    if (p == 4) return 0;
    std::uint32_t best_digit = 0xFFFFFFFFu;
    int cand[4], n = 0;
    for (int k = 0; k < 4; ++k) {
        if (placed >> k & 1u) continue;
        const int a = in[2 * k], b = in[2 * k + 1];
        if ((a >= 2 && !(placed >> (a - 2) & 1u)) || (b >= 2 && !(placed >> (b - 2) & 1u))) continue;
        const std::uint32_t d = node_digit(in, op, k, newpos);
        if (d < best_digit) {
            best_digit = d;
            n = 0;
        }
        if (d == best_digit) cand[n++] = k;
    }
    std::uint32_t best = 0xFFFFFFFFu;
    for (int t = 0; t < n; ++t) {
        newpos[cand[t]] = p;
        best = std::min(best, min_suffix(in, op, p + 1, placed | 1u << cand[t], newpos));
        newpos[cand[t]] = -1;
    }
    return best_digit * kWeight[p] + best;
}

}  // namespace

std::uint32_t cell_code(const std::int8_t* in, const std::int8_t* op) {
    int newpos[4] = {-1, -1, -1, -1};
    return min_suffix(in, op, 0, 0u, newpos);
}

std::uint64_t key(const std::int8_t* inputs, const std::int8_t* ops) {
    return static_cast<std::uint64_t>(cell_code(inputs, ops)) << 32 | cell_code(inputs + 8, ops + 8);
}

void sample(std::uint64_t seed, std::uint64_t row, std::int8_t* in, std::int8_t* op) {
    Rng rng(seed, row);
    for (int c = 0; c < 2; ++c)
        for (int k = 0; k < 4; ++k) {
            const std::uint64_t n = static_cast<std::uint64_t>(k + 2);
            const std::uint64_t a = rng.below(n);
            std::uint64_t b = rng.below(n - 1);
            if (b >= a) ++b;
            in[8 * c + 2 * k] = static_cast<std::int8_t>(a);
            in[8 * c + 2 * k + 1] = static_cast<std::int8_t>(b);
            op[8 * c + 2 * k] = static_cast<std::int8_t>(rng.below(kOps));
            op[8 * c + 2 * k + 1] = static_cast<std::int8_t>(rng.below(kOps));
        }
}

void mutate(const std::int8_t* inputs, const std::int8_t* ops, double rate, std::uint64_t seed, std::uint64_t row,
            std::int8_t* ci, std::int8_t* co) {
    // The child is isomorphic to the parent iff every cell has the parent's code; only changed cells
    // need a code, and the parent's codes are computed once, when first needed.
    std::uint32_t parent_code[2];
    bool have_parent[2] = {false, false};
    Rng rng(seed, row);
    const double pr = rate / 16.0;
    for (int attempt = 0; attempt < 64; ++attempt) {
        std::memcpy(ci, inputs, 16);
        std::memcpy(co, ops, 16);
        int op_edits[2] = {0, 0}, in_edits[2] = {0, 0};
        for (int c = 0; c < 2; ++c)
            for (int e = 0; e < kEdges; ++e) {
                if (!(rng.uniform() < pr)) continue;
                const int k = e / 2, x = 8 * c + e;
                if (rng.below(2) == 1 && k > 0) {
                    ++in_edits[c];
                    int cand[4], n = 0;
                    for (int v = 0; v < k + 2; ++v)
                        if (v != ci[x] && v != ci[x ^ 1]) cand[n++] = v;
                    ci[x] = static_cast<std::int8_t>(cand[rng.below(static_cast<std::uint64_t>(n))]);
                } else {
                    ++op_edits[c];
                    co[x] = static_cast<std::int8_t>((co[x] + 1 + static_cast<int>(rng.below(kOps - 1))) % kOps);
                }
            }
        for (int c = 0; c < 2; ++c) {
            if (op_edits[c] + in_edits[c] == 0) continue;
            // one op change alters the cell's op multiset, an isomorphism invariant: a new class
            if (op_edits[c] == 1 && in_edits[c] == 0) return;
            if (!have_parent[c]) {
                parent_code[c] = cell_code(inputs + 8 * c, ops + 8 * c);
                have_parent[c] = true;
            }
            if (cell_code(ci + 8 * c, co + 8 * c) != parent_code[c]) return;
        }
    }
    std::memcpy(ci, inputs, 16);
    std::memcpy(co, ops, 16);
    co[0] = static_cast<std::int8_t>((co[0] + 1 + static_cast<int>(rng.below(kOps - 1))) % kOps);
}

int neighbors(const std::int8_t* in, const std::int8_t* op, std::int8_t* oi, std::int8_t* oo) {
    int w = 0;
    for (int c = 0; c < 2; ++c)
        for (int e = 0; e < kEdges; ++e) {
            const int x = 8 * c + e;
            for (int o = 0; o < kOps; ++o) {
                if (o == op[x]) continue;
                std::memcpy(oi + 16 * w, in, 16);
                std::memcpy(oo + 16 * w, op, 16);
                oo[16 * w + x] = static_cast<std::int8_t>(o);
                ++w;
            }
            for (int v = 0; v < e / 2 + 2; ++v) {
                if (v == in[x] || v == in[x ^ 1]) continue;
                std::memcpy(oi + 16 * w, in, 16);
                std::memcpy(oo + 16 * w, op, 16);
                oi[16 * w + x] = static_cast<std::int8_t>(v);
                ++w;
            }
        }
    return w;
}

void adjacency(const std::int8_t* in, const std::int8_t* op, std::uint8_t* out) {
    std::memset(out, 0, 2 * kAdjCell);
    for (int c = 0; c < 2; ++c) {
        std::uint8_t* b = out + c * kAdjCell;
        for (int e = 0; e < kEdges; ++e) {
            b[7 * in[8 * c + e] + e / 2 + 2] = 1;
            b[49 + kOps * e + op[8 * c + e]] = 1;
        }
        for (int v = 2; v < 6; ++v) b[7 * v + 6] = 1;
    }
}

void path(const std::int8_t* in, const std::int8_t* op, int k, int n_edges, std::uint8_t* out) {
    std::memset(out, 0, static_cast<std::size_t>(k));
    for (int c = 0; c < 2; ++c) {
        // paths ending at each intermediate node: start input, index, length (at most 16 per node)
        int start[4][16], index[4][16], len[4][16], n[4] = {0, 0, 0, 0};
        for (int e = 0; e < n_edges; ++e) {
            const int node = e / 2, i = in[8 * c + e], o = op[8 * c + e] + 1;
            auto add = [&](int s, int idx, int l) {
                int pw = 1;
                for (int t = 0; t < l; ++t) pw *= 7;
                const int ni = idx + pw * o;
                const int m = n[node]++;
                start[node][m] = s;
                index[node][m] = ni;
                len[node][m] = l + 1;
                const int bit = (2 * c + s) * kPathBlock + ni;
                if (bit < k) out[bit] = 1;
            };
            if (i < 2) {
                add(i, 0, 0);
            } else {
                const int j = i - 2, m = n[j];
                for (int t = 0; t < m; ++t) add(start[j][t], index[j][t], len[j][t]);
            }
        }
    }
}

namespace {
// Row-normalised directed A + I of the op-on-node graph: a row with d out-edges plus the self loop
// holds 1 / (d + 1) at each of those d + 1 columns.
void gcn_cell(const std::int8_t* in, const std::int8_t* op, float* out) {
    std::fill(out, out + 231, 0.0f);
    float* x = out;
    float* adj = out + 110;
    x[0] = 1.0f;
    x[10 + 1] = 1.0f;
    x[10 * 10 + 9] = 1.0f;
    int deg[11] = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0};  // op vertices feed the output
    for (int e = 0; e < kEdges; ++e) {
        const int i = in[e];
        if (i < 2) {
            ++deg[i];
        } else {
            ++deg[2 * i - 2];
            ++deg[2 * i - 1];
        }
        x[10 * (2 + e) + 2 + op[e]] = 1.0f;
    }
    float w[11];
    for (int v = 0; v < 11; ++v) {
        w[v] = static_cast<float>(1.0 / (deg[v] + 1));
        adj[12 * v] = w[v];  // self loop
    }
    for (int e = 0; e < kEdges; ++e) {
        const int i = in[e];
        if (i < 2) {
            adj[11 * i + 2 + e] = w[i];
        } else {
            adj[11 * (2 * i - 2) + 2 + e] = w[2 * i - 2];
            adj[11 * (2 * i - 1) + 2 + e] = w[2 * i - 1];
        }
        adj[11 * (2 + e) + 10] = w[2 + e];
    }
}
}  // namespace

void gcn(const std::int8_t* in, const std::int8_t* op, float* out) {
    gcn_cell(in, op, out);
    gcn_cell(in + 8, op + 8, out + kGcnCell);
}

}  // namespace darts
}  // namespace fastnas
