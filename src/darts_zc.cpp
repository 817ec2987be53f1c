// NAS-Bench-Suite-Zero key text of DARTS cells: "[[(i, o), ... x 8], [(i, o), ... x 8]]".
// Parser and formatter; the reference twin is fastnas/spaces/darts_convert.py (from_zc_keys, to_zc_keys).
#include <cstddef>
#include <cstdint>
#include <string>

#include "darts.hpp"

namespace fastnas {
namespace darts {

namespace {
struct Cursor {
    const char* p;
    const char* end;
    bool lit(const char* s) {
        for (; *s; ++s, ++p)
            if (p == end || *p != *s) return false;
        return true;
    }
    // [0-9]+, saturating at 1000 (leading zeros allowed, as int() does)
    bool number(int* v) {
        if (p == end || *p < '0' || *p > '9') return false;
        int x = 0;
        while (p != end && *p >= '0' && *p <= '9') {
            x = x * 10 + (*p - '0');
            if (x > 1000) x = 1000;
            ++p;
        }
        *v = x;
        return true;
    }
};
}  // namespace

int parse_zc(const char* s, std::size_t n, std::int8_t* in, std::int8_t* op, std::string* err) {
    Cursor c{s, s + n};
    int val[32];
    if (!c.lit("[[")) return 1;
    for (int t = 0; t < 16; ++t) {
        if (t == 8 && !c.lit("], [")) return 1;
        if (t % 8 != 0 && !c.lit(", ")) return 1;
        if (!c.lit("(") || !c.number(&val[2 * t]) || !c.lit(", ") || !c.number(&val[2 * t + 1]) || !c.lit(")"))
            return 1;
    }
    if (!c.lit("]]") || c.p != c.end) return 1;
    for (int t = 0; t < 16; ++t) {
        const int cell = t / 8, e = t % 8, i = val[2 * t], o = val[2 * t + 1];
        if (i > e / 2 + 1) {
            *err = "cell " + std::to_string(cell) + " edge " + std::to_string(e) + ": input " + std::to_string(i) +
                   " out of range 0.." + std::to_string(e / 2 + 1);
            return 2;
        }
        if (o > 6) {
            *err = "cell " + std::to_string(cell) + " edge " + std::to_string(e) + ": op " + std::to_string(o) +
                   " out of range 0..6";
            return 2;
        }
        in[t] = static_cast<std::int8_t>(i);
        op[t] = static_cast<std::int8_t>(o);
    }
    return 0;
}

std::size_t format_zc(const std::int8_t* in, const std::int8_t* op, char* buf) {
    char* w = buf;
    *w++ = '[';
    for (int t = 0; t < 16; ++t) {
        if (t == 0) {
            *w++ = '[';
        } else if (t == 8) {
            *w++ = ']'; *w++ = ','; *w++ = ' '; *w++ = '[';
        } else {
            *w++ = ','; *w++ = ' ';
        }
        *w++ = '(';
        *w++ = static_cast<char>('0' + in[t]);
        *w++ = ','; *w++ = ' ';
        *w++ = static_cast<char>('0' + op[t]);
        *w++ = ')';
    }
    *w++ = ']';
    *w++ = ']';
    return static_cast<std::size_t>(w - buf);
}

}  // namespace darts
}  // namespace fastnas
