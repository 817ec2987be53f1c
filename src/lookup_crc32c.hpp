// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), used to verify TFRecord framing
// (NAS-Bench-101 files). Definition: RFC 3720 appendix B.4; TFRecord masking is applied in Python.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fastnas {
namespace lookup {

// CRC-32C of `len` bytes at `data`, continuing from `crc` (0 for a fresh checksum).
std::uint32_t crc32c(const std::uint8_t* data, std::size_t len, std::uint32_t crc = 0);

}  // namespace lookup
}  // namespace fastnas
