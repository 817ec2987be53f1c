// Exact canonical key of an NB101 cell (isomorphism of pruned cells <=> equal keys).
//
// Layout (uint64): V << 41 | ops << 31 | edges. Inner vertices take slots 1..5 in a new order,
// input is slot 0, output slot 6. ops holds the op code (0..2) of slots 1..5, two bits each, slot 1
// most significant, 3 for empty slots. edges is a 31-bit field, bit 30 first: input -> slot t
// (t = 1..6, bits 30..25), slot s -> output (s = 1..5, bits 24..20), slot s -> slot t among inner
// slots (s, t = 1..5, s != t, row-major, bits 19..0). The key is the minimum over the orderings of
// the inner vertices that sort them by the invariant (op, in-degree, out-degree, longest path from
// the input, longest path to the output); an isomorphism preserves the invariant, so isomorphic
// cells admit the same set of codes and share the minimum, and the code is injective for a fixed
// ordering, so equal keys mean isomorphic cells.
#include <algorithm>

#include "nb101.hpp"

namespace fastnas {
namespace nb101 {
namespace {

struct PairBits {
    int in_bit[kMaxV];             // input -> slot t
    int out_bit[kMaxV];            // slot s -> output
    int inner_bit[kMaxV][kMaxV];   // slot s -> slot t
    PairBits() {
        for (int t = 1; t <= 6; ++t) in_bit[t] = 30 - (t - 1);
        for (int s = 1; s <= 5; ++s) out_bit[s] = 24 - (s - 1);
        int k = 0;
        for (int s = 1; s <= 5; ++s)
            for (int t = 1; t <= 5; ++t) {
                if (s == t) continue;
                inner_bit[s][t] = 19 - k;
                ++k;
            }
    }
};
const PairBits kBits;

}  // namespace

std::uint64_t canonical_key(const Graph& g) {
    const int V = g.n;
    const int m = V - 2;
    const int outv = V - 1;
    int indeg[kMaxV] = {0}, depth[kMaxV] = {0}, height[kMaxV] = {0};
    for (int u = 0; u < V; ++u) {
        unsigned s = g.out[u];
        while (s) {
            const int w = __builtin_ctz(s);
            s &= s - 1;
            ++indeg[w];
            depth[w] = std::max(depth[w], depth[u] + 1);
        }
    }
    for (int u = V - 2; u >= 0; --u) {
        unsigned s = g.out[u];
        int h = 0;
        while (s) {
            const int w = __builtin_ctz(s);
            s &= s - 1;
            h = std::max(h, height[w] + 1);
        }
        height[u] = h;
    }
    int inv[kMaxV];
    int ord[5];
    for (int v = 1; v <= m; ++v) {
        const int op = static_cast<std::uint8_t>(g.op[v]) & 3u;
        inv[v] = (op << 12) | (indeg[v] << 9) | (popcount32(g.out[v]) << 6) | (depth[v] << 3) |
                 height[v];
        ord[v - 1] = v;
    }
    // insertion sort by (invariant, vertex)
    for (int i = 1; i < m; ++i) {
        const int x = ord[i];
        int j = i - 1;
        while (j >= 0 && inv[ord[j]] > inv[x]) {
            ord[j + 1] = ord[j];
            --j;
        }
        ord[j + 1] = x;
    }
    std::uint64_t ops = 0;
    for (int p = 1; p <= 5; ++p) {
        const std::uint64_t c = (p <= m) ? (static_cast<std::uint8_t>(g.op[ord[p - 1]]) & 3u) : 3u;
        ops |= c << (2 * (5 - p));
    }
    // class boundaries: runs of equal invariants
    int seg_start[5], seg_end[5], nseg = 0;
    for (int i = 0; i < m;) {
        int j = i + 1;
        while (j < m && inv[ord[j]] == inv[ord[i]]) ++j;
        seg_start[nseg] = i;
        seg_end[nseg] = j;
        ++nseg;
        i = j;
    }
    const bool in_out = (g.out[0] >> outv) & 1u;
    std::uint32_t best = 0xFFFFFFFFu;
    int pos[kMaxV];
    for (;;) {
        for (int p = 0; p < m; ++p) pos[ord[p]] = p + 1;
        std::uint32_t code = in_out ? (1u << kBits.in_bit[6]) : 0u;
        unsigned s0 = g.out[0] & ~(1u << outv);
        while (s0) {
            const int w = __builtin_ctz(s0);
            s0 &= s0 - 1;
            code |= 1u << kBits.in_bit[pos[w]];
        }
        for (int v = 1; v <= m; ++v) {
            unsigned s = g.out[v];
            const int ps = pos[v];
            while (s) {
                const int w = __builtin_ctz(s);
                s &= s - 1;
                code |= 1u << (w == outv ? kBits.out_bit[ps] : kBits.inner_bit[ps][pos[w]]);
            }
        }
        if (code < best) best = code;
        // next ordering: odometer over the classes, last class fastest
        int k = nseg - 1;
        for (; k >= 0; --k)
            if (std::next_permutation(ord + seg_start[k], ord + seg_end[k])) break;
        if (k < 0) break;
    }
    return (static_cast<std::uint64_t>(V) << 41) | (ops << 31) | best;
}

std::uint64_t key_of(Graph g) {
    if (!pruned_valid(g)) return 0;
    return canonical_key(g);
}

}  // namespace nb101
}  // namespace fastnas
