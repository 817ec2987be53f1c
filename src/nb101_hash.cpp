// The NAS-Bench-101 fingerprint (nasbench graph_util.hash_module), bit for bit:
//   h_v = md5("(out_degree, in_degree, label)"); V rounds of
//   h_v = md5(sorted in-neighbour hashes joined + "|" + sorted out-neighbour hashes joined + "|" + h_v);
//   fingerprint = md5(str(sorted(h))) with Python's list text ("['a', 'b']").
#include <cstdio>
#include <cstring>

#include "md5.hpp"
#include "nb101.hpp"

namespace fastnas {
namespace nb101 {
namespace {

using Hex = char[32];

void md5_to_hex(const char* text, std::size_t len, char out[32]) {
    std::uint8_t d[16];
    md5(text, len, d);
    md5_hex(d, out);
}

// initial hashes for degrees 0..6 and labels -2..2 (what a pruned, checked cell uses)
struct InitTable {
    char h[7][7][5][32];
    InitTable() {
        for (int o = 0; o < 7; ++o)
            for (int i = 0; i < 7; ++i)
                for (int l = -2; l <= 2; ++l) {
                    char buf[48];
                    const int len = std::snprintf(buf, sizeof buf, "(%d, %d, %d)", o, i, l);
                    md5_to_hex(buf, static_cast<std::size_t>(len), h[o][i][l + 2]);
                }
    }
};

const InitTable& init_table() {
    static const InitTable t;
    return t;
}

// sort indices idx[0..k) by their hex strings (lexicographic, as Python sorts str)
void sort_by_hex(int* idx, int k, const Hex* h) {
    for (int a = 1; a < k; ++a) {
        const int x = idx[a];
        int b = a - 1;
        while (b >= 0 && std::memcmp(h[idx[b]], h[x], 32) > 0) {
            idx[b + 1] = idx[b];
            --b;
        }
        idx[b + 1] = x;
    }
}

}  // namespace

void fingerprint(const Graph& g, char out[32]) {
    const int V = g.n;
    int indeg[kMaxV] = {0};
    unsigned in_mask[kMaxV] = {0};
    for (int u = 0; u < V; ++u)
        for (int w = u + 1; w < V; ++w)
            if ((g.out[u] >> w) & 1u) {
                ++indeg[w];
                in_mask[w] |= 1u << u;
            }
    Hex h[kMaxV], nh[kMaxV];
    const InitTable& T = init_table();
    for (int v = 0; v < V; ++v) {
        const int label = (v == 0) ? -1 : (v == V - 1) ? -2 : g.op[v];
        const int od = popcount32(g.out[v]);
        if (label >= -2 && label <= 2) {
            std::memcpy(h[v], T.h[od][indeg[v]][label + 2], 32);
        } else {  // only reachable for unchecked rows; same text as Python prints
            char buf[48];
            const int len = std::snprintf(buf, sizeof buf, "(%d, %d, %d)", od, indeg[v], label);
            md5_to_hex(buf, static_cast<std::size_t>(len), h[v]);
        }
    }
    char buf[2 * kMaxV * 32 + 2 + 32];
    for (int round = 0; round < V; ++round) {
        for (int v = 0; v < V; ++v) {
            int idx[kMaxV];
            int k = 0;
            std::size_t len = 0;
            for (unsigned s = in_mask[v]; s; s &= s - 1) idx[k++] = __builtin_ctz(s);
            sort_by_hex(idx, k, h);
            for (int a = 0; a < k; ++a, len += 32) std::memcpy(buf + len, h[idx[a]], 32);
            buf[len++] = '|';
            k = 0;
            for (unsigned s = g.out[v]; s; s &= s - 1) idx[k++] = __builtin_ctz(s);
            sort_by_hex(idx, k, h);
            for (int a = 0; a < k; ++a, len += 32) std::memcpy(buf + len, h[idx[a]], 32);
            buf[len++] = '|';
            std::memcpy(buf + len, h[v], 32);
            len += 32;
            md5_to_hex(buf, len, nh[v]);
        }
        std::memcpy(h, nh, sizeof(Hex) * V);
    }
    int idx[kMaxV];
    for (int v = 0; v < V; ++v) idx[v] = v;
    sort_by_hex(idx, V, h);
    char text[2 + kMaxV * 36];
    std::size_t len = 0;
    text[len++] = '[';
    for (int a = 0; a < V; ++a) {
        if (a) {
            text[len++] = ',';
            text[len++] = ' ';
        }
        text[len++] = '\'';
        std::memcpy(text + len, h[idx[a]], 32);
        len += 32;
        text[len++] = '\'';
    }
    text[len++] = ']';
    md5_to_hex(text, len, out);
}

}  // namespace nb101
}  // namespace fastnas
