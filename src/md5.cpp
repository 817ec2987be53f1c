// MD5 (RFC 1321, section 3): 64-byte blocks, four rounds of 16 steps, little-endian words.
#include "md5.hpp"

#include <cstring>

namespace fastnas {
namespace {

// K[i] = floor(|sin(i + 1)| * 2^32) (RFC 1321, 3.4)
constexpr std::uint32_t K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

// per-round rotation amounts
constexpr int S[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

inline std::uint32_t rotl(std::uint32_t x, int c) { return (x << c) | (x >> (32 - c)); }

inline std::uint32_t load_le32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

#define FASTNAS_MD5_STEP(f, a, b, c, d, x, k, s) \
    a += f(b, c, d) + (x) + (k);                  \
    a = rotl(a, s) + b;
#define FASTNAS_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define FASTNAS_G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define FASTNAS_H(x, y, z) ((x) ^ (y) ^ (z))
#define FASTNAS_I(x, y, z) ((y) ^ ((x) | ~(z)))

// One 64-byte block, the 64 steps unrolled (RFC 1321, 3.4; F and G in their equivalent
// two-operation forms).
void block(std::uint32_t st[4], const std::uint8_t* p) {
    std::uint32_t m[16];
    for (int i = 0; i < 16; ++i) m[i] = load_le32(p + 4 * i);
    std::uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
#define R1(a, b, c, d, i) FASTNAS_MD5_STEP(FASTNAS_F, a, b, c, d, m[i], K[i], S[0][(i) & 3])
    R1(a, b, c, d, 0) R1(d, a, b, c, 1) R1(c, d, a, b, 2) R1(b, c, d, a, 3)
    R1(a, b, c, d, 4) R1(d, a, b, c, 5) R1(c, d, a, b, 6) R1(b, c, d, a, 7)
    R1(a, b, c, d, 8) R1(d, a, b, c, 9) R1(c, d, a, b, 10) R1(b, c, d, a, 11)
    R1(a, b, c, d, 12) R1(d, a, b, c, 13) R1(c, d, a, b, 14) R1(b, c, d, a, 15)
#undef R1
#define R2(a, b, c, d, i) FASTNAS_MD5_STEP(FASTNAS_G, a, b, c, d, m[(5 * (i) + 1) & 15], K[i], S[1][(i) & 3])
    R2(a, b, c, d, 16) R2(d, a, b, c, 17) R2(c, d, a, b, 18) R2(b, c, d, a, 19)
    R2(a, b, c, d, 20) R2(d, a, b, c, 21) R2(c, d, a, b, 22) R2(b, c, d, a, 23)
    R2(a, b, c, d, 24) R2(d, a, b, c, 25) R2(c, d, a, b, 26) R2(b, c, d, a, 27)
    R2(a, b, c, d, 28) R2(d, a, b, c, 29) R2(c, d, a, b, 30) R2(b, c, d, a, 31)
#undef R2
#define R3(a, b, c, d, i) FASTNAS_MD5_STEP(FASTNAS_H, a, b, c, d, m[(3 * (i) + 5) & 15], K[i], S[2][(i) & 3])
    R3(a, b, c, d, 32) R3(d, a, b, c, 33) R3(c, d, a, b, 34) R3(b, c, d, a, 35)
    R3(a, b, c, d, 36) R3(d, a, b, c, 37) R3(c, d, a, b, 38) R3(b, c, d, a, 39)
    R3(a, b, c, d, 40) R3(d, a, b, c, 41) R3(c, d, a, b, 42) R3(b, c, d, a, 43)
    R3(a, b, c, d, 44) R3(d, a, b, c, 45) R3(c, d, a, b, 46) R3(b, c, d, a, 47)
#undef R3
#define R4(a, b, c, d, i) FASTNAS_MD5_STEP(FASTNAS_I, a, b, c, d, m[(7 * (i)) & 15], K[i], S[3][(i) & 3])
    R4(a, b, c, d, 48) R4(d, a, b, c, 49) R4(c, d, a, b, 50) R4(b, c, d, a, 51)
    R4(a, b, c, d, 52) R4(d, a, b, c, 53) R4(c, d, a, b, 54) R4(b, c, d, a, 55)
    R4(a, b, c, d, 56) R4(d, a, b, c, 57) R4(c, d, a, b, 58) R4(b, c, d, a, 59)
    R4(a, b, c, d, 60) R4(d, a, b, c, 61) R4(c, d, a, b, 62) R4(b, c, d, a, 63)
#undef R4
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
}

}  // namespace

void md5(const void* data, std::size_t len, std::uint8_t out[16]) {
    std::uint32_t st[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    const auto* p = static_cast<const std::uint8_t*>(data);
    std::size_t n = len;
    while (n >= 64) {
        block(st, p);
        p += 64;
        n -= 64;
    }
    // padding: 0x80, zeros, then the bit length as a little-endian 64-bit integer
    std::uint8_t tail[128];
    std::memset(tail, 0, sizeof tail);
    if (n) std::memcpy(tail, p, n);
    tail[n] = 0x80;
    const std::size_t total = (n + 9 <= 64) ? 64 : 128;
    const std::uint64_t bits = static_cast<std::uint64_t>(len) * 8u;
    for (int i = 0; i < 8; ++i) tail[total - 8 + i] = static_cast<std::uint8_t>(bits >> (8 * i));
    block(st, tail);
    if (total == 128) block(st, tail + 64);
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<std::uint8_t>(st[i] >> (8 * j));
}

void md5_hex(const std::uint8_t digest[16], char out[32]) {
    static const char* hex = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
}

}  // namespace fastnas
