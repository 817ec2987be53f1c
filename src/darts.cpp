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

constexpr std::uint32_t kRadix[4] = {49, 147, 294, 490};

// The 24 permutations of 4 nodes (perm[k] = new position of old node k) and, per 6-bit precedence mask
// (bit for each j < k with "node k reads node j"), the permutations that keep every such edge forward.
struct PermTable {
    std::array<std::array<std::int8_t, 4>, 24> perm;
    std::array<std::array<std::int8_t, 24>, 64> valid;
    std::array<int, 64> count;
    static int bit(int j, int k) {  // j < k
        static const int idx[4][4] = {{-1, 0, 1, 3}, {-1, -1, 2, 4}, {-1, -1, -1, 5}, {-1, -1, -1, -1}};
        return idx[j][k];
    }
    PermTable() {
        std::array<std::int8_t, 4> p = {0, 1, 2, 3};
        int n = 0;
        do perm[n++] = p;
        while (std::next_permutation(p.begin(), p.end()));
        for (int m = 0; m < 64; ++m) {
            count[m] = 0;
            for (int t = 0; t < 24; ++t) {
                bool ok = true;
                for (int k = 1; k < 4 && ok; ++k)
                    for (int j = 0; j < k && ok; ++j)
                        if ((m >> bit(j, k) & 1) && perm[t][j] > perm[t][k]) ok = false;
                if (ok) valid[m][count[m]++] = static_cast<std::int8_t>(t);
            }
        }
    }
};
const PermTable& perms() {
    static const PermTable t;
    return t;
}

inline bool all_distinct_cell(const std::int8_t* in) {
    for (int k = 0; k < 4; ++k)
        if (in[2 * k] == in[2 * k + 1]) return false;
    return true;
}

}  // namespace

bool distinct(const std::int8_t* inputs) { return all_distinct_cell(inputs) && all_distinct_cell(inputs + 8); }

std::uint32_t cell_code(const std::int8_t* in, const std::int8_t* op) {
    const PermTable& t = perms();
    int mask = 0;
    for (int e = 0; e < kEdges; ++e)
        if (in[e] >= 2) mask |= 1 << PermTable::bit(in[e] - 2, e / 2);
    // lexicographic minimum of the 4 node digits; a relabelling is dropped at its first larger digit
    std::uint32_t best[4] = {0xFFFFFFFFu, 0, 0, 0};
    for (int v = 0; v < t.count[mask]; ++v) {
        const auto& perm = t.perm[static_cast<std::size_t>(t.valid[mask][v])];
        int where[4];
        for (int k = 0; k < 4; ++k) where[perm[k]] = k;
        std::uint32_t d[4];
        bool smaller = false;
        int p = 0;
        for (; p < 4; ++p) {
            const int k = where[p];
            int a = in[2 * k], oa = op[2 * k], b = in[2 * k + 1], ob = op[2 * k + 1];
            if (a >= 2) a = perm[a - 2] + 2;
            if (b >= 2) b = perm[b - 2] + 2;
            if (a > b) {
                std::swap(a, b);
                std::swap(oa, ob);
            }
            d[p] = static_cast<std::uint32_t>((b * (b - 1) / 2 + a) * 49 + oa * 7 + ob);
            if (!smaller) {
                if (d[p] > best[p]) break;
                if (d[p] < best[p]) smaller = true;
            }
        }
        if (p == 4 && smaller) std::copy(d, d + 4, best);
    }
    std::uint32_t code = 0;
    for (int p = 0; p < 4; ++p) code = code * kRadix[p] + best[p];
    return code;
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
    const std::uint64_t parent = key(inputs, ops);
    Rng rng(seed, row);
    const double pr = rate / 16.0;
    for (int attempt = 0; attempt < 64; ++attempt) {
        std::memcpy(ci, inputs, 16);
        std::memcpy(co, ops, 16);
        for (int c = 0; c < 2; ++c)
            for (int e = 0; e < kEdges; ++e) {
                if (!(rng.uniform() < pr)) continue;
                const int k = e / 2, x = 8 * c + e;
                if (rng.below(2) == 1 && k > 0) {
                    int cand[4], n = 0;
                    for (int v = 0; v < k + 2; ++v)
                        if (v != ci[x] && v != ci[x ^ 1]) cand[n++] = v;
                    ci[x] = static_cast<std::int8_t>(cand[rng.below(static_cast<std::uint64_t>(n))]);
                } else {
                    co[x] = static_cast<std::int8_t>((co[x] + 1 + static_cast<int>(rng.below(kOps - 1))) % kOps);
                }
            }
        if (key(ci, co) != parent) return;
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

void path(const std::int8_t* in, const std::int8_t* op, int k, std::uint8_t* out) {
    std::memset(out, 0, static_cast<std::size_t>(k));
    for (int c = 0; c < 2; ++c) {
        // paths ending at each intermediate node: start input, index, length (at most 16 per node)
        int start[4][16], index[4][16], len[4][16], n[4] = {0, 0, 0, 0};
        for (int e = 0; e < kEdges; ++e) {
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
void gcn_cell(const std::int8_t* in, const std::int8_t* op, float* out) {
    double a[11][11] = {};
    float* x = out;
    std::fill(x, x + 110, 0.0f);
    x[0] = 1.0f;
    x[10 + 1] = 1.0f;
    x[10 * 10 + 9] = 1.0f;
    for (int e = 0; e < kEdges; ++e) {
        const int i = in[e];
        if (i < 2) {
            a[i][2 + e] = 1.0;
        } else {
            a[2 + 2 * (i - 2)][2 + e] = 1.0;
            a[3 + 2 * (i - 2)][2 + e] = 1.0;
        }
        a[2 + e][10] = 1.0;
        x[10 * (2 + e) + 2 + op[e]] = 1.0f;
    }
    float* adj = out + 110;
    for (int r = 0; r < 11; ++r) {
        a[r][r] += 1.0;
        double t = 0;
        for (int s = 0; s < 11; ++s) t += a[r][s];
        for (int s = 0; s < 11; ++s) adj[11 * r + s] = static_cast<float>(a[r][s] / t);
    }
}
}  // namespace

void gcn(const std::int8_t* in, const std::int8_t* op, float* out) {
    gcn_cell(in, op, out);
    gcn_cell(in + 8, op + 8, out + kGcnCell);
}

}  // namespace darts
}  // namespace fastnas
