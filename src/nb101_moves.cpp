// NB101 enumeration, sampling, mutation and neighbours.
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "nb101.hpp"

namespace fastnas {
namespace nb101 {
namespace {

// (i, j) pairs i < j of a v x v upper triangle, row-major
int pairs_of(int v, int* pi, int* pj) {
    int k = 0;
    for (int i = 0; i < v; ++i)
        for (int j = i + 1; j < v; ++j) {
            pi[k] = i;
            pj[k] = j;
            ++k;
        }
    return k;
}

// The 21 pairs of the 7-vertex triangle and, per vertex, the pairs entering and leaving it.
struct Pairs7 {
    int pi[21], pj[21];
    std::uint32_t into[kMaxV], outof[kMaxV];
    Pairs7() {
        pairs_of(kMaxV, pi, pj);
        for (int v = 0; v < kMaxV; ++v) into[v] = outof[v] = 0;
        for (int t = 0; t < 21; ++t) {
            into[pj[t]] |= 1u << t;
            outof[pi[t]] |= 1u << t;
        }
    }
};
const Pairs7 kP7;

// open-addressing set of nonzero uint64 keys
struct KeySet {
    std::vector<std::uint64_t> slots;
    std::uint64_t mask;
    explicit KeySet(std::size_t expect) {
        std::size_t cap = 16;
        while (cap < 2 * expect + 16) cap <<= 1;
        slots.assign(cap, 0);
        mask = cap - 1;
    }
    bool insert(std::uint64_t k) {  // true if new
        std::uint64_t i = mix64(k) & mask;
        for (;;) {
            if (slots[i] == k) return false;
            if (slots[i] == 0) {
                slots[i] = k;
                return true;
            }
            i = (i + 1) & mask;
        }
    }
};

// Bit t of the result (t < 28) is set when 16-bit lane t of d[0..6] (lane t = bits 16 (t % 4) ..
// of d[t / 4]) is below thr (thr in 0..65536).
inline std::uint32_t lanes_below(const std::uint64_t d[7], std::uint32_t thr) {
    if (thr >= 65536u) return (1u << 28) - 1u;
#if defined(__SSE2__)
    const __m128i flip = _mm_set1_epi16(static_cast<short>(0x8000));
    const __m128i t = _mm_set1_epi16(static_cast<short>(thr ^ 0x8000u));
    std::uint32_t out = 0;
    for (int k = 0; k < 4; ++k) {
        const std::uint64_t hi = (2 * k + 1 < 7) ? d[2 * k + 1] : 0xFFFFFFFFFFFFFFFFull;
        const __m128i v = _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(d[2 * k]));
        const __m128i lt = _mm_cmplt_epi16(_mm_xor_si128(v, flip), t);  // unsigned compare via sign flip
        std::uint32_t m = static_cast<std::uint32_t>(_mm_movemask_epi8(lt)) & 0x5555u;  // one bit per lane
        m = (m | (m >> 1)) & 0x3333u;
        m = (m | (m >> 2)) & 0x0F0Fu;
        m = (m | (m >> 4)) & 0x00FFu;
        out |= m << (8 * k);
    }
    return out & ((1u << 28) - 1u);
#else
    std::uint32_t out = 0;
    for (int t = 0; t < 28; ++t)
        out |= static_cast<std::uint32_t>(((d[t >> 2] >> (16 * (t & 3))) & 0xFFFFu) < thr) << t;
    return out;
#endif
}

}  // namespace

void enumerate(int v, std::vector<Graph>& out, std::vector<std::uint64_t>& keys) {
    int pi[21], pj[21];
    const int np = pairs_of(v, pi, pj);
    int inner = v - 2, nops = 1;
    for (int i = 0; i < inner; ++i) nops *= 3;
    KeySet seen(v == 7 ? 400000 : 70000);
    const unsigned full = (1u << v) - 1u;
    for (std::uint32_t b = 0; b < (1u << np); ++b) {
        if (popcount32(b) > kMaxEdges) continue;
        Graph g;
        g.n = static_cast<std::uint8_t>(v);
        unsigned has_in = 1u;  // input needs no in-edge
        for (int t = 0; t < np; ++t)
            if ((b >> t) & 1u) {
                g.out[pi[t]] |= static_cast<std::uint8_t>(1u << pj[t]);
                has_in |= 1u << pj[t];
            }
        if (has_in != full) continue;
        bool ok = true;
        for (int i = 0; i < v - 1 && ok; ++i) ok = g.out[i] != 0;
        if (!ok) continue;
        g.op[0] = -1;
        g.op[v - 1] = -2;
        for (int t = 0; t < nops; ++t) {
            int rest = t;
            for (int i = inner; i >= 1; --i) {  // vertex 1 is the most significant digit
                g.op[i] = static_cast<std::int8_t>(rest % 3);
                rest /= 3;
            }
            const std::uint64_t k = canonical_key(g);
            if (seen.insert(k)) {
                out.push_back(g);
                keys.push_back(k);
            }
        }
    }
}

Graph sample(Rng& rng, int mode) {
    const int* pi = kP7.pi;
    const int* pj = kP7.pj;
    for (;;) {
        const std::uint64_t bits = rng.next();
        Graph g;
        g.n = kMaxV;
        for (int t = 0; t < 21; ++t)
            if ((bits >> t) & 1u) g.out[pi[t]] |= static_cast<std::uint8_t>(1u << pj[t]);
        g.op[0] = -1;
        g.op[kMaxV - 1] = -2;
        for (int i = 1; i < kMaxV - 1; ++i) g.op[i] = static_cast<std::int8_t>(rng.below(3));
        if (mode == 0) {
            if (pruned_valid(g)) return g;
        } else {
            Graph h = g;
            if (prune(h) && h.n == kMaxV && n_edges(h) <= kMaxEdges) return g;
        }
    }
}

Graph mutate(const Graph& parent, std::uint64_t parent_key, double rate, Rng& rng) {
    // parent_key 0: computed here when first needed
    const int* pi = kP7.pi;
    const int* pj = kP7.pj;
    // embed the parent in 7 vertices: output to slot 6, new inner slots with random ops
    Graph base;
    base.n = kMaxV;
    const int n = parent.n < 2 ? 2 : (parent.n > kMaxV ? kMaxV : parent.n);
    auto slot = [&](int v) { return v == n - 1 ? kMaxV - 1 : v; };
    for (int v = 0; v < n; ++v) {
        base.op[slot(v)] = parent.op[v];
        unsigned s = parent.out[v];
        while (s) {
            const int w = __builtin_ctz(s);
            s &= s - 1;
            base.out[slot(v)] |= static_cast<std::uint8_t>(1u << slot(w));
        }
    }
    for (int v = n - 1; v < kMaxV - 1; ++v) base.op[v] = static_cast<std::int8_t>(rng.below(3));
    // Bernoulli decisions use 16-bit lanes: a decision with probability p fires when the lane is
    // below floor(p * 65536) (p = 1 always fires). Per try: 7 draws give 28 lanes, low lanes first;
    // lanes 0..20 decide the edge flips (row-major pairs), lanes 21..25 the op changes of vertices 1..5.
    const double pe = rate / 21.0 < 1.0 ? rate / 21.0 : 1.0;
    const double po = rate / 5.0 < 1.0 ? rate / 5.0 : 1.0;
    const std::uint32_t te = static_cast<std::uint32_t>(pe * 65536.0);
    const std::uint32_t to = static_cast<std::uint32_t>(po * 65536.0);
    Graph pp = parent;
    const bool parent_ok = pruned_valid(pp);
    // Fast path (no effect on results): the parent's vertices are "live" slots, the padded slots are
    // isolated. A try that flips no edge between two live slots and changes no live op leaves the
    // pruned cell unchanged unless some padded slot gains both an in-edge and an out-edge (it needs
    // both to join an input -> output path); such tries are skipped without pruning.
    unsigned live = 0;
    for (int v = 0; v < n - 1; ++v) live |= 1u << v;
    live |= 1u << (kMaxV - 1);
    const std::uint32_t* into = kP7.into;
    const std::uint32_t* outof = kP7.outof;
    std::uint32_t touch_padded = 0;  // pairs with a padded end
    for (unsigned pm = ~live & 0x3Eu; pm; pm &= pm - 1) {
        const int dslot = __builtin_ctz(pm);
        touch_padded |= into[dslot] | outof[dslot];
    }
    const std::uint32_t ll_pairs = ~touch_padded & 0x1FFFFFu;
    const unsigned live_ops = live & 0x3Eu;  // inner slots 1..5 that are live
    const unsigned padded = ~live & 0x3Eu;
    for (;;) {
        std::uint64_t d[7];
        for (int t = 0; t < 7; ++t) d[t] = rng.next();
        const std::uint32_t flips = lanes_below(d, te) & 0x1FFFFFu;
        const unsigned opfire = ((lanes_below(d, to) >> 21) & 0x1Fu) << 1;  // vertices 1..5
        if (!flips && !opfire) continue;
        if (parent_ok && !(flips & ll_pairs) && !(opfire & live_ops)) {
            bool may_join = false;
            for (unsigned pm = padded; pm && !may_join; pm &= pm - 1) {
                const int dslot = __builtin_ctz(pm);
                may_join = (flips & into[dslot]) && (flips & outof[dslot]);
            }
            if (!may_join) {
                for (int k = popcount32(opfire); k > 0; --k) rng.next();  // the below(2) draws of the ops
                continue;
            }
        }
        Graph g = base;
        for (unsigned of = opfire; of; of &= of - 1) {
            const int v = __builtin_ctz(of);
            g.op[v] = static_cast<std::int8_t>((g.op[v] + 1 + static_cast<int>(rng.below(2))) % 3);
        }
        for (std::uint32_t f = flips; f; f &= f - 1) {
            const int t = __builtin_ctz(f);
            g.out[pi[t]] ^= static_cast<std::uint8_t>(1u << pj[t]);
        }
        if (!pruned_valid(g)) continue;
        // identical pruned arrays are trivially isomorphic: skip the key then
        if (parent_ok && g.n == pp.n && std::memcmp(g.out, pp.out, kMaxV) == 0 &&
            std::memcmp(g.op, pp.op, static_cast<std::size_t>(g.n)) == 0)
            continue;
        // isomorphism keeps the vertex count, the edge count and the multiset of ops: when one of them
        // differs the mutant is new without computing keys
        if (!parent_ok || g.n != pp.n || n_edges(g) != n_edges(pp)) return g;
        int hist_g[4] = {0, 0, 0, 0}, hist_p[4] = {0, 0, 0, 0};
        for (int v = 1; v < g.n - 1; ++v) {
            ++hist_g[static_cast<std::uint8_t>(g.op[v]) & 3u];
            ++hist_p[static_cast<std::uint8_t>(pp.op[v]) & 3u];
        }
        if (std::memcmp(hist_g, hist_p, sizeof hist_g) != 0) return g;
        if (!parent_key) parent_key = canonical_key(pp);
        if (canonical_key(g) != parent_key) return g;
    }
}

int neighbors(const Graph& parent_raw, std::vector<Graph>& out) {
    Graph p = parent_raw;
    if (!pruned_valid(p)) return 0;
    const std::uint64_t pk = canonical_key(p);
    std::uint64_t seen[64];
    int nseen = 0, added = 0;
    auto consider = [&](Graph g) {
        if (!pruned_valid(g)) return;
        const std::uint64_t k = canonical_key(g);
        if (k == pk) return;
        for (int a = 0; a < nseen; ++a)
            if (seen[a] == k) return;
        seen[nseen++] = k;
        out.push_back(g);
        ++added;
    };
    const int n = p.n;
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j) {
            Graph g = p;
            g.out[i] ^= static_cast<std::uint8_t>(1u << j);
            consider(g);
        }
    for (int v = 1; v < n - 1; ++v)
        for (int o = 0; o < 3; ++o) {
            if (o == p.op[v]) continue;
            Graph g = p;
            g.op[v] = static_cast<std::int8_t>(o);
            consider(g);
        }
    return added;
}

void path_encode(const Graph& g, int k, std::uint8_t* out) {
    std::memset(out, 0, static_cast<std::size_t>(k));
    // iterative DFS from the input: (vertex, index so far, length)
    int sv[64], si[64], sl[64];
    int top = 0;
    sv[0] = 0;
    si[0] = 0;
    sl[0] = 0;
    top = 1;
    static const int pow3[6] = {1, 3, 9, 27, 81, 243};
    const int outv = g.n - 1;
    while (top) {
        --top;
        const int v = sv[top], idx = si[top], len = sl[top];
        unsigned s = g.out[v];
        while (s) {
            const int w = __builtin_ctz(s);
            s &= s - 1;
            if (w == outv) {
                if (idx < k) out[idx] = 1;
            } else if (len < 5) {
                sv[top] = w;
                si[top] = idx + pow3[len] * ((static_cast<std::uint8_t>(g.op[w]) & 3u) + 1);
                sl[top] = len + 1;
                ++top;
            }
        }
    }
}

}  // namespace nb101
}  // namespace fastnas
