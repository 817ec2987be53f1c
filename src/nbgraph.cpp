// NAS-Bench-Graph kernels; the specification is fastnas/spaces/nbgraph_ref.py (same draws, same
// results). Definitions restated from the benchmark (PyPI nas-bench-graph 1.4.0, architecture.py).
#include "nbgraph.hpp"

#include <algorithm>
#include <cmath>

#include "rng.hpp"

namespace fastnas {
namespace nbgraph {
namespace {

constexpr int kPattern[kLinks][4] = {{0, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 1, 1}, {0, 0, 1, 2}, {0, 0, 1, 3},
                                     {0, 1, 1, 1}, {0, 1, 1, 2}, {0, 1, 2, 2}, {0, 1, 2, 3}};

int pattern_of(const int* l) {
    for (int p = 0; p < kLinks; ++p)
        if (std::equal(l, l + 4, kPattern[p])) return p;
    return -1;
}

bool skip_chain(int k, const int* link, const int* ops) {
    while (k >= 0) {
        if (ops[k] != kSkip) return false;
        k = link[k] - 1;
    }
    return true;
}

void move_front(int k, int* link, int* ops) {
    int nl[4], no[4];
    nl[0] = 0;
    no[0] = ops[k];
    int w = 1;
    for (int i = 0; i < 4; ++i) {
        if (i == k) continue;
        const int src = link[i];
        nl[w] = src == k + 1 ? link[k] + 1 : (src <= k ? src + 1 : src);
        no[w] = ops[i];
        ++w;
    }
    std::copy(nl, nl + 4, link);
    std::copy(no, no + 4, ops);
}

void sort_positions(int* ops, std::initializer_list<int> pos) {
    int v[4], n = 0;
    for (int q : pos) v[n++] = ops[q];
    std::sort(v, v + n);
    n = 0;
    for (int q : pos) ops[q] = v[n++];
}

}  // namespace

void canonical(int p, const std::int8_t* ops_in, int* q, std::int8_t* out) {
    int link[4], ops[4];
    for (int i = 0; i < 4; ++i) {
        link[i] = kPattern[p][i];
        ops[i] = ops_in[i];
    }
    for (int i = 0; i < 4; ++i) {
        if (ops[i] != kSkip) continue;
        bool child = false, sibling = false;
        for (int j = 0; j < 4; ++j) {
            if (link[j] == i + 1) child = true;
            if (j != i && link[j] == link[i]) sibling = true;
        }
        if (child || !sibling || skip_chain(i, link, ops)) move_front(i, link, ops);
    }
    int r = pattern_of(link);
    if (r < 0) {
        // the two lists the normalisation can leave, relabelled to pattern [0,1,1,2]
        if (link[0] == 0 && link[1] == 1 && link[2] == 2 && link[3] == 1) {
            std::swap(ops[2], ops[3]);
        } else {  // [0,1,1,3]
            std::swap(ops[1], ops[2]);
        }
        r = 6;
    }
    switch (r) {
        case 0: sort_positions(ops, {0, 1, 2, 3}); break;
        case 1: sort_positions(ops, {1, 2}); break;
        case 2: sort_positions(ops, {2, 3}); break;
        case 3:
            if (ops[0] > ops[1] || (ops[0] == ops[1] && ops[2] > ops[3])) {
                std::swap(ops[0], ops[1]);
                std::swap(ops[2], ops[3]);
            }
            break;
        case 5: sort_positions(ops, {1, 2, 3}); break;
        case 7: sort_positions(ops, {2, 3}); break;
        default: break;
    }
    *q = r;
    for (int i = 0; i < 4; ++i) out[i] = static_cast<std::int8_t>(ops[i]);
}

std::int64_t key(int p, const std::int8_t* ops) {
    int q;
    std::int8_t o[4];
    canonical(p, ops, &q, o);
    std::int64_t h = q;
    for (int i = 0; i < 4; ++i) h = h * 10 + o[i];
    return h;
}

bool is_valid(const std::int8_t* ops, unsigned allowed) {
    bool all_skip = true;
    for (int i = 0; i < 4; ++i) {
        if (!(allowed >> ops[i] & 1u)) return false;
        if (ops[i] != kSkip) all_skip = false;
    }
    return !all_skip;
}

namespace {
int allowed_list(unsigned allowed, int* list) {
    int n = 0;
    for (int o = 0; o < kOps; ++o)
        if (allowed >> o & 1u) list[n++] = o;
    return n;
}
bool all_skip(const std::int8_t* o) { return o[0] == kSkip && o[1] == kSkip && o[2] == kSkip && o[3] == kSkip; }
}  // namespace

void sample(std::uint64_t seed, std::uint64_t row, unsigned allowed, std::int8_t* p, std::int8_t* ops) {
    int list[kOps];
    const int n = allowed_list(allowed, list);
    Rng rng(seed, row);
    for (;;) {
        *p = static_cast<std::int8_t>(rng.below(kLinks));
        for (int j = 0; j < 4; ++j) ops[j] = static_cast<std::int8_t>(list[rng.below(static_cast<std::uint64_t>(n))]);
        if (!all_skip(ops)) return;
    }
}

void mutate(int p, const std::int8_t* ops, double rate, unsigned allowed, std::uint64_t seed, std::uint64_t row,
            std::int8_t* q, std::int8_t* out) {
    int list[kOps], index[kOps] = {0};
    const int n = allowed_list(allowed, list);
    for (int k = 0; k < n; ++k) index[list[k]] = k;
    const std::int64_t parent = key(p, ops);
    Rng rng(seed, row);
    const double pr = rate / 5.0;
    for (int attempt = 0; attempt < 64; ++attempt) {
        int qq = p;
        std::int8_t o[4] = {ops[0], ops[1], ops[2], ops[3]};
        if (rng.uniform() < pr) qq = static_cast<int>((p + 1 + rng.below(kLinks - 1)) % kLinks);
        for (int j = 0; j < 4; ++j)
            if (rng.uniform() < pr)
                o[j] = static_cast<std::int8_t>(
                    list[(index[o[j]] + 1 + static_cast<int>(rng.below(static_cast<std::uint64_t>(n - 1)))) % n]);
        if (!all_skip(o) && key(qq, o) != parent) {
            *q = static_cast<std::int8_t>(qq);
            std::copy(o, o + 4, out);
            return;
        }
    }
    int nonskip[kOps], m = 0;
    for (int k = 0; k < n; ++k)
        if (list[k] != kSkip && list[k] != ops[0]) nonskip[m++] = list[k];
    std::copy(ops, ops + 4, out);
    out[0] = static_cast<std::int8_t>(nonskip[rng.below(static_cast<std::uint64_t>(m))]);
    *q = static_cast<std::int8_t>(p);
}

int neighbors(int p, const std::int8_t* ops, unsigned allowed, std::int8_t* q, std::int8_t* out) {
    int list[kOps];
    const int n = allowed_list(allowed, list);
    int w = 0;
    for (int r = 0; r < kLinks; ++r) {
        if (r == p) continue;
        q[w] = static_cast<std::int8_t>(r);
        std::copy(ops, ops + 4, out + 4 * w);
        ++w;
    }
    for (int j = 0; j < 4; ++j) {
        for (int k = 0; k < n; ++k) {
            if (list[k] == ops[j]) continue;
            std::int8_t* o = out + 4 * w;
            std::copy(ops, ops + 4, o);
            o[j] = static_cast<std::int8_t>(list[k]);
            if (all_skip(o)) continue;
            q[w] = static_cast<std::int8_t>(p);
            ++w;
        }
    }
    return w;
}

void onehot(int p, const std::int8_t* ops, std::uint8_t* out) {
    std::fill(out, out + kLinks + 4 * kOps, std::uint8_t{0});
    out[p] = 1;
    for (int j = 0; j < 4; ++j) out[kLinks + kOps * j + ops[j]] = 1;
}

namespace {
// Row-normalised directed A + I of the op-on-node graph of each pattern.
struct GcnTable {
    float adj[kLinks][36];
    GcnTable() {
        for (int p = 0; p < kLinks; ++p) {
            double s[6][6] = {};
            bool read[6] = {};
            for (int j = 0; j < 4; ++j) read[kPattern[p][j]] = true;
            for (int j = 0; j < 4; ++j) {
                s[kPattern[p][j]][j + 1] = 1.0;
                if (!read[j + 1]) s[j + 1][5] = 1.0;
            }
            for (int i = 0; i < 6; ++i) {
                s[i][i] += 1.0;
                double t = 0;
                for (int j = 0; j < 6; ++j) t += s[i][j];
                for (int j = 0; j < 6; ++j) adj[p][6 * i + j] = static_cast<float>(s[i][j] / t);
            }
        }
    }
};
}  // namespace

void gcn(int p, const std::int8_t* ops, float* out) {
    static const GcnTable table;  // the adjacency depends on the pattern only
    std::fill(out, out + 66, 0.0f);
    out[0] = 1.0f;
    for (int j = 0; j < 4; ++j) out[11 * (j + 1) + 1 + ops[j]] = 1.0f;
    out[11 * 5 + 10] = 1.0f;
    std::copy(table.adj[p], table.adj[p] + 36, out + 66);
}

}  // namespace nbgraph
}  // namespace fastnas
