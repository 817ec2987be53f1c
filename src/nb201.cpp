// NAS-Bench-201 kernels; definitions in nb201.hpp and ../shared-free docs/nb201.md.
#include "nb201.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "rng.hpp"

namespace fastnas {
namespace nb201 {

namespace {

// Source node of each edge in arch-string order (0,1),(0,2),(1,2),(0,3),(1,3),(2,3).
constexpr int kSrc[kEdges] = {0, 0, 1, 0, 1, 2};
constexpr int kDst[kEdges] = {1, 2, 2, 3, 3, 3};
const char* const kOpNames[kOps] = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};

// naszilla path encoding (BANANAS, White et al. 2021, cell_201.py): paths as edge lists in string
// order, ops indexed alphabetically (avg_pool_3x3, nor_conv_1x1, nor_conv_3x3, none, skip_connect).
constexpr int kPaths[4][3] = {{3, -1, -1}, {0, 4, -1}, {1, 5, -1}, {0, 2, 5}};
constexpr int kPathOffset[4] = {0, 5, 5, 30};
constexpr int kNaszillaOp[kOps] = {3, 4, 1, 2, 0};
// NASLib order: edges (0,1),(0,2),(0,3),(1,2),(1,3),(2,3); ops skip, none, conv3x3, conv1x1, avg_pool.
constexpr int kNaslibEdge[kEdges] = {0, 1, 3, 2, 4, 5};
constexpr int kNaslibOp[kOps] = {1, 0, 3, 2, 4};

// NATS-Bench CellStructure.to_unique_str (consider_zero=True for the default key, False with
// none as an ordinary op): each node is the sorted '+'-join of its input terms; skip_connect is the
// identity (the term is the source node's string), none (or any edge out of a node equal to "#")
// is the zero term "#", any other op is "(" + source + ")@" + name. Only node strings equal to "#"
// propagate zero (a node "#+#" does not: this is NATS-Bench's behaviour and gives the published 6,466).
std::string unique_string(const std::int8_t* r, bool treat_none_as_op) {
    std::string node[4];
    node[0] = "0";
    for (int j = 1; j < 4; ++j) {
        std::vector<std::string> terms;
        for (int e = 0; e < kEdges; ++e) {
            if (kDst[e] != j) continue;
            const std::string& src = node[kSrc[e]];
            const int op = r[e];
            if (!treat_none_as_op && (op == 0 || src == "#")) {
                terms.emplace_back("#");
            } else if (op == 1) {
                terms.push_back(src);
            } else {
                terms.push_back("(" + src + ")@" + kOpNames[op]);
            }
        }
        std::sort(terms.begin(), terms.end());
        std::string s;
        for (std::size_t t = 0; t < terms.size(); ++t) {
            if (t) s += "+";
            s += terms[t];
        }
        node[j] = s;
    }
    return node[3];
}

struct KeyTables {
    std::array<std::uint16_t, kCells> canon[4];  // [mode * 2 + treat_none_as_op]
    std::size_t classes[2] = {0, 0};
    std::size_t valid_classes = 0;
};

const KeyTables& tables() {
    static KeyTables t;
    static std::once_flag once;
    std::call_once(once, [] {
        for (int mode = 0; mode < 2; ++mode) {
            std::unordered_map<std::string, std::uint16_t> first;
            first.reserve(kCells * 2);
            std::int8_t r[kEdges];
            for (int c = 0; c < kCells; ++c) {
                int x = c;
                for (int e = kEdges - 1; e >= 0; --e) {
                    r[e] = static_cast<std::int8_t>(x % kOps);
                    x /= kOps;
                }
                auto it = first.emplace(unique_string(r, mode == 1), static_cast<std::uint16_t>(c)).first;
                t.canon[mode][c] = it->second;
                if (it->second == c) {
                    ++t.classes[mode];
                    if (mode == 0 && valid_one(r)) ++t.valid_classes;
                }
                t.canon[2 + mode][c] = static_cast<std::uint16_t>(dag_canonical(r, mode == 1));
            }
        }
    });
    return t;
}

inline void decode(int c, std::int8_t* r) {
    for (int e = kEdges - 1; e >= 0; --e) {
        r[e] = static_cast<std::int8_t>(c % kOps);
        c /= kOps;
    }
}

}  // namespace

std::ptrdiff_t first_bad_row(const std::int8_t* ops, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        for (int e = 0; e < kEdges; ++e)
            if (ops[i * kEdges + e] < 0 || ops[i * kEdges + e] >= kOps) return static_cast<std::ptrdiff_t>(i);
    return -1;
}

void to_code(const std::int8_t* ops, std::size_t n, std::int64_t* out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = code_of(ops + i * kEdges);
}

void from_code(const std::int64_t* codes, std::size_t n, std::int8_t* ops) {
    for (std::size_t i = 0; i < n; ++i) decode(static_cast<int>(codes[i]), ops + i * kEdges);
}

namespace {
constexpr std::size_t kOpLen[kOps] = {4, 12, 12, 12, 12};

// Fast path: the valid strings are exactly the 15,625 formatted ones, so match the template left to right
// (one memcmp per term). Any mismatch falls back to the diagnosing parser below, which finds the reason.
bool parse_fast(const char* s, std::size_t len, std::int8_t* r) {
    std::size_t p = 0;
    int e = 0;
    for (int j = 1; j <= 3; ++j) {
        if (j > 1) {
            if (p >= len || s[p] != '+') return false;
            ++p;
        }
        if (p >= len || s[p] != '|') return false;
        ++p;
        for (int t = 0; t < j; ++t, ++e) {
            if (p + 4 + 3 > len) return false;
            int op;
            switch (s[p]) {
                case 'a': op = 4; break;
                case 's': op = 1; break;
                case 'n':
                    if (s[p + 2] == 'n') { op = 0; break; }
                    op = (p + 11 < len && s[p + 9] == '3') ? 3 : 2;
                    break;
                default: return false;
            }
            const std::size_t L = kOpLen[op];
            if (p + L + 3 > len || std::memcmp(s + p, kOpNames[op], L) != 0) return false;
            if (s[p + L] != '~' || s[p + L + 1] != static_cast<char>('0' + kSrc[e]) || s[p + L + 2] != '|') return false;
            r[e] = static_cast<std::int8_t>(op);
            p += L + 3;
        }
    }
    return p == len;
}
}  // namespace

int parse_string(const char* s, std::size_t len, std::int8_t* r) {
    if (parse_fast(s, len, r)) return 0;
    // Same checks in the same order as the reference parser (fastnas/spaces/nb201_convert.py):
    // 1. structure: three '+'-separated nodes, each "|...|", holding 1, 2 and 3 '|'-separated terms;
    // 2. per term in order: "name~node" (4 if no '~'), a known name (2), the expected source node (3).
    std::size_t node_begin[3], node_end[3];
    int nodes = 0;
    std::size_t start = 0;
    for (std::size_t p = 0; p <= len; ++p) {
        if (p == len || s[p] == '+') {
            if (nodes == 3) return 1;
            node_begin[nodes] = start;
            node_end[nodes] = p;
            ++nodes;
            start = p + 1;
        }
    }
    if (nodes != 3) return 1;
    std::size_t term_begin[kEdges], term_end[kEdges];
    int e = 0;
    for (int j = 0; j < 3; ++j) {
        const std::size_t b = node_begin[j], en = node_end[j];
        if (en - b < 2 || s[b] != '|' || s[en - 1] != '|') return 1;
        int terms = 0;
        std::size_t tb = b + 1;
        for (std::size_t p = b + 1; p < en; ++p) {
            if (s[p] == '|') {
                if (terms == j + 1 || e + terms >= kEdges) return 1;
                term_begin[e + terms] = tb;
                term_end[e + terms] = p;
                ++terms;
                tb = p + 1;
            }
        }
        if (terms != j + 1) return 1;
        e += terms;
    }
    for (e = 0; e < kEdges; ++e) {
        const char* t = s + term_begin[e];
        const std::size_t tl = term_end[e] - term_begin[e];
        std::size_t tilde = 0;
        while (tilde < tl && t[tilde] != '~') ++tilde;
        if (tilde == tl) return 4 | (e << 4);
        int op = -1;
        for (int o = 0; o < kOps; ++o) {
            const std::size_t nl = std::char_traits<char>::length(kOpNames[o]);
            if (nl == tilde && std::char_traits<char>::compare(t, kOpNames[o], nl) == 0) op = o;
        }
        if (op < 0) return 2 | (e << 4);
        if (tl - tilde != 2 || t[tilde + 1] != static_cast<char>('0' + kSrc[e])) return 3 | (e << 4);
        r[e] = static_cast<std::int8_t>(op);
    }
    return 0;
}

void remap(const std::int8_t* ops, std::size_t n, const std::int64_t* perm, const std::int8_t* lut,
           std::int8_t* out) {
    for (std::size_t i = 0; i < n; ++i) {
        const std::int8_t* r = ops + i * kEdges;
        std::int8_t* o = out + i * kEdges;
        for (int k = 0; k < kEdges; ++k) o[k] = lut[r[perm[k]]];
    }
}

void to_matrix(const std::int8_t* ops, std::size_t n, std::int8_t* out) {
    for (std::size_t i = 0; i < n; ++i) {
        std::int8_t* m = out + i * 16;
        std::fill(m, m + 16, std::int8_t{0});
        for (int e = 0; e < kEdges; ++e) m[kSrc[e] * 4 + kDst[e]] = ops[i * kEdges + e];
    }
}

void from_matrix(const std::int8_t* m, std::size_t n, std::int8_t* ops) {
    for (std::size_t i = 0; i < n; ++i)
        for (int e = 0; e < kEdges; ++e) ops[i * kEdges + e] = m[i * 16 + kSrc[e] * 4 + kDst[e]];
}

bool valid_one(const std::int8_t* r) {
    const bool n1 = r[0] != 0;
    const bool n2 = r[1] != 0 || (n1 && r[2] != 0);
    return r[3] != 0 || (n1 && r[4] != 0) || (n2 && r[5] != 0);
}

void is_valid(const std::int8_t* ops, std::size_t n, bool* out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = valid_one(ops + i * kEdges);
}

const std::uint16_t* key_table(bool treat_none_as_op, int mode) {
    return tables().canon[(mode == kDag ? 2 : 0) + (treat_none_as_op ? 1 : 0)].data();
}

// Labelled-DAG canonical form: keep an edge iff its op is not none (any edge when none is an op), its
// source is reachable from the input and its target reaches the output through kept edges; a cell
// whose output is unreachable maps to code 0 (all none). Then the inner nodes 1 and 2 may be swapped
// when no kept edge joins them (the swap maps (0,1)<->(0,2), (1,3)<->(2,3)); the smaller code wins.
// Since pruning only zeroes digits, the result is the smallest code of the class.
int dag_canonical(const std::int8_t* r, bool treat_none_as_op) {
    bool keep[kEdges];
    for (int e = 0; e < kEdges; ++e) keep[e] = treat_none_as_op || r[e] != 0;
    bool fw[4] = {true, false, false, false};
    for (int e = 0; e < kEdges; ++e)  // edges are sorted by target node, sources come first
        if (keep[e] && fw[kSrc[e]]) fw[kDst[e]] = true;
    if (!fw[3]) return 0;
    bool bw[4] = {false, false, false, true};
    for (int e = kEdges - 1; e >= 0; --e)  // reverse order visits sources 2, 1, 0 in time
        if (keep[e] && bw[kDst[e]]) bw[kSrc[e]] = true;
    std::int8_t p[kEdges];
    for (int e = 0; e < kEdges; ++e) p[e] = (keep[e] && fw[kSrc[e]] && bw[kDst[e]]) ? r[e] : 0;
    if (!treat_none_as_op && p[2] == 0) {
        const std::int8_t q[kEdges] = {p[1], p[0], 0, p[3], p[5], p[4]};
        return std::min(code_of(p), code_of(q));
    }
    return code_of(p);
}

std::size_t n_classes(bool valid_only) {
    const KeyTables& t = tables();
    return valid_only ? t.valid_classes : t.classes[0];
}

void key(const std::int8_t* ops, std::size_t n, bool treat_none_as_op, int mode, std::uint64_t* out) {
    const std::uint16_t* tab = key_table(treat_none_as_op, mode);
    for (std::size_t i = 0; i < n; ++i) out[i] = tab[code_of(ops + i * kEdges)];
}

void encode_adjacency(const std::int8_t* ops, std::size_t n, float* out) {
    std::fill(out, out + n * kEncAdjacency, 0.0f);
    for (std::size_t i = 0; i < n; ++i)
        for (int e = 0; e < kEdges; ++e) out[i * kEncAdjacency + e * kOps + ops[i * kEdges + e]] = 1.0f;
}

void encode_path(const std::int8_t* ops, std::size_t n, bool naslib_quirk, int k, float* out) {
    std::fill(out, out + n * static_cast<std::size_t>(k), 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
        const std::int8_t* r = ops + i * kEdges;
        int v[kEdges];
        for (int k = 0; k < kEdges; ++k)
            v[k] = naslib_quirk ? kNaslibOp[r[kNaslibEdge[k]]] : kNaszillaOp[r[k]];
        for (int p = 0; p < 4; ++p) {
            int idx = kPathOffset[p], w = 1;
            for (int j = 0; j < 3 && kPaths[p][j] >= 0; ++j) {
                idx += v[kPaths[p][j]] * w;
                w *= kOps;
            }
            if (idx < k) out[i * static_cast<std::size_t>(k) + idx] = 1.0f;
        }
    }
}

void encode_gcn(const std::int8_t* ops, std::size_t n, float* out) {
    // Op-on-node graph: node 0 input, nodes 1..6 the edges in string order, node 7 output.
    // Edge node k (s -> d) feeds every edge node leaving d, or the output when d == 3.
    static const std::array<float, kGcnNodes * kGcnNodes> adj = [] {
        std::array<float, kGcnNodes * kGcnNodes> a{};
        for (int k = 0; k < kEdges; ++k) {
            if (kSrc[k] == 0) a[0 * kGcnNodes + 1 + k] = 1.0f;
            if (kDst[k] == 3) a[(1 + k) * kGcnNodes + 7] = 1.0f;
            for (int l = 0; l < kEdges; ++l)
                if (kSrc[l] == kDst[k]) a[(1 + k) * kGcnNodes + 1 + l] = 1.0f;
        }
        for (int v = 0; v < kGcnNodes; ++v) {
            a[v * kGcnNodes + v] = 1.0f;
            float s = 0.0f;
            for (int w = 0; w < kGcnNodes; ++w) s += a[v * kGcnNodes + w];
            for (int w = 0; w < kGcnNodes; ++w) a[v * kGcnNodes + w] /= s;
        }
        return a;
    }();
    for (std::size_t i = 0; i < n; ++i) {
        float* o = out + i * kEncGcn;
        std::fill(o, o + kGcnNodes * kGcnOps, 0.0f);
        o[0] = 1.0f;
        for (int k = 0; k < kEdges; ++k) o[(1 + k) * kGcnOps + 1 + ops[i * kEdges + k]] = 1.0f;
        o[7 * kGcnOps + 6] = 1.0f;
        std::copy(adj.begin(), adj.end(), o + kGcnNodes * kGcnOps);
    }
}

void sample(std::size_t n, std::uint64_t seed, bool valid_only, std::int8_t* out) {
    for (std::size_t i = 0; i < n; ++i) {
        Rng rng(seed, i);
        std::int8_t* r = out + i * kEdges;
        do {
            decode(static_cast<int>(rng.below(kCells)), r);
        } while (valid_only && !valid_one(r));
    }
}

bool sample_unique(std::size_t n, std::uint64_t seed, bool valid_only, std::int8_t* out) {
    if (n > n_classes(valid_only)) return false;
    const std::uint16_t* tab = key_table(false);
    std::vector<bool> seen(kCells, false);
    for (std::size_t i = 0; i < n; ++i) {
        Rng rng(seed, i);
        std::int8_t* r = out + i * kEdges;
        for (;;) {
            const int c = static_cast<int>(rng.below(kCells));
            decode(c, r);
            if (valid_only && !valid_one(r)) continue;
            if (seen[tab[c]]) continue;
            seen[tab[c]] = true;
            break;
        }
    }
    return true;
}

void mutate(const std::int8_t* ops, std::size_t n, double rate, std::uint64_t seed, bool one_edge,
            bool valid_only, std::int8_t* out) {
    const std::uint16_t* tab = key_table(false);
    const double p = rate / 4.0;
    for (std::size_t i = 0; i < n; ++i) {
        Rng rng(seed, i);
        const std::int8_t* par = ops + i * kEdges;
        std::int8_t* c = out + i * kEdges;
        const std::uint16_t pk = tab[code_of(par)];
        for (;;) {
            std::copy(par, par + kEdges, c);
            if (one_edge) {
                const int e = static_cast<int>(rng.below(kEdges));
                const int o = static_cast<int>(rng.below(kOps - 1));
                c[e] = static_cast<std::int8_t>(o + (o >= par[e]));
            } else {
                for (int e = 0; e < kEdges; ++e) {
                    if (rng.uniform() < p) {
                        const int o = static_cast<int>(rng.below(kOps - 1));
                        c[e] = static_cast<std::int8_t>(o + (o >= par[e]));
                    }
                }
            }
            if (tab[code_of(c)] == pk) continue;
            if (valid_only && !valid_one(c)) continue;
            break;
        }
    }
}

std::size_t neighbors(const std::int8_t* ops, std::size_t n, bool dedup, std::int8_t* out,
                      std::int64_t* parent) {
    const std::uint16_t* tab = key_table(false);
    std::size_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::int8_t* par = ops + i * kEdges;
        const std::uint16_t pk = tab[code_of(par)];
        std::uint16_t seen[24];
        int ns = 0;
        for (int e = 0; e < kEdges; ++e) {
            for (int v = 0; v < kOps; ++v) {
                if (v == par[e]) continue;
                std::int8_t* c = out + m * kEdges;
                std::copy(par, par + kEdges, c);
                c[e] = static_cast<std::int8_t>(v);
                if (dedup) {
                    const std::uint16_t k = tab[code_of(c)];
                    if (k == pk || std::find(seen, seen + ns, k) != seen + ns) continue;
                    seen[ns++] = k;
                }
                parent[m++] = static_cast<std::int64_t>(i);
            }
        }
    }
    return m;
}

}  // namespace nb201
}  // namespace fastnas
