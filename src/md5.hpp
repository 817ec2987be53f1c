// MD5 message digest (RFC 1321), written from the RFC for the NAS-Bench-101 fingerprint.
// MD5 is used here only because the official dataset keys are MD5 fingerprints; it is not a
// security primitive in this project.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fastnas {

// 16-byte digest of `len` bytes at `data`.
void md5(const void* data, std::size_t len, std::uint8_t out[16]);

// Lower-case hexadecimal text of a 16-byte digest into out[0..31] (no terminator).
void md5_hex(const std::uint8_t digest[16], char out[32]);

}  // namespace fastnas
