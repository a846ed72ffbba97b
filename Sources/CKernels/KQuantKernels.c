// K-quant weights (ggml's `block_q4_K` and `block_q6_K`; the layouts were read in
// ggml's `dequantize_row_q4_K` / `q6_K` and `vec_dot_q4_K_q8_K` / `q6_K_q8_K`, not
// copied) against int8 activations quantised per 32-value block, with one SIMD lane
// per weight row as in Int8Kernels.c, so no horizontal sums are needed.
//
// Packed layout, per (group of 16 rows, super-block of 256 columns):
//   q4_K, 2368 bytes: quants [pair p < 4][dword j < 8][row < 16][4 bytes] = the row's
//     bytes qs[32p + 4j .. 32p + 4j + 3]: low nibbles are columns 64p + 4j + t (sub-block
//     2p), high nibbles columns 64p + 32 + 4j + t (sub-block 2p + 1); then 16 f16 d,
//     16 f16 dmin, then the 6-bit sub-block scales [sub-block < 8][row] and minimums
//     [sub-block][row], one byte each (unpacked from the file's 12 bytes).
//   q6_K, 4384 bytes: quants [block k < 8][dword j < 8][row][4] = the 6-bit q (0..63,
//     weight q − 32) of columns 32k + 4j + t, one byte each; then 16 f16 d, then the
//     int8 scales of the 16-column sub-blocks [sub-block < 16][row].
// About 4.6 (q4_K) and 8.6 (q6_K) bits per weight, against the file's 4.5 and 6.6.
//
// Arithmetic per (weight row, activation row), over 32-column blocks k in order
// (super-block s = k / 8, sub-block i = k % 8), identical on every path:
//   q4_K: isum = Σ q·a                                            exact int32
//         f = fma((float)isum, (d[s] · sc[i]) · d_a[k], f)         (d · sc is exact)
//         f = fma(−(dmin[s] · m[i]), s_a[k], f)                    (s_a = d_a · Σq)
//   q6_K: isum = sc[2i] · (Σ_lo q·a − 32·A_lo) + sc[2i+1] · (Σ_hi q·a − 32·A_hi)
//                                                                  exact int32; lo/hi =
//                                                                  the block's 16-column
//                                                                  halves, A = Σ of their a
//         f = fma((float)isum, d[s] · d_a[k], f)
//   output = f (+ bias)
// Int8Reference (Swift) states the same arithmetic over the file's blocks.
#include "CKernels.h"
#include "Half.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum {
    Q4K_D = 2048, Q4K_DMIN = 2080, Q4K_SCALES = 2112, Q4K_MINIMUMS = 2240, Q4K_BYTES = 2368, Q4K_SOURCE = 144,
    Q6K_D = 4096, Q6K_SCALES = 4128, Q6K_BYTES = 4384, Q6K_SOURCE = 210,
};

size_t quorum_kquant_superblock_bytes(int32_t kind) { return kind == QUORUM_PACKED_Q4_K ? Q4K_BYTES : Q6K_BYTES; }

/// Scale and minimum of q4_K sub-block j from the file's 12 packed bytes (ggml's get_scale_min_k4).
static void q4k_scale_minimum(int j, const uint8_t *q, uint8_t *scale, uint8_t *minimum) {
    if (j < 4) {
        *scale = q[j] & 63;
        *minimum = q[j + 4] & 63;
    } else {
        *scale = (uint8_t)((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4));
        *minimum = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/// The 6-bit q of column c (< 256) of a q6_K block: 128-column halves of 64 ql and 32 qh
/// bytes; quarter `quarter` of a half takes ql's low (0, 1) or high (2, 3) nibbles of
/// bytes l or 32 + l and qh's bits 2·quarter.
static uint8_t q6k_value(const uint8_t *block, int c) {
    const int half = c / 128, quarter = (c % 128) / 32, l = c % 32;
    const uint8_t low = block[half * 64 + (quarter & 1) * 32 + l];
    const uint8_t high = block[128 + half * 32 + l];
    const uint8_t nibble = quarter >= 2 ? low >> 4 : low & 0x0F;
    return (uint8_t)(nibble | (((high >> (2 * quarter)) & 3) << 4));
}

void quorum_kquant_pack_groups(int32_t kind, const void *source, size_t source_row_bytes, int64_t rows,
                               int64_t columns, int64_t group_begin, int64_t group_end, void *destination) {
    const int64_t superblocks = columns / 256;
    const size_t bytes = quorum_kquant_superblock_bytes(kind);
    for (int64_t g = group_begin; g < group_end; g++) {
        for (int64_t s = 0; s < superblocks; s++) {
            uint8_t *out = (uint8_t *)destination + (size_t)(g * superblocks + s) * bytes;
            // Padding rows stay zero: zero scales make their products zero.
            memset(out, 0, bytes);
            for (int r = 0; r < QUORUM_PACK_ROWS; r++) {
                const int64_t row = g * QUORUM_PACK_ROWS + r;
                if (row >= rows) break;
                if (kind == QUORUM_PACKED_Q4_K) {
                    const uint8_t *block = (const uint8_t *)source + (size_t)row * source_row_bytes + (size_t)s * Q4K_SOURCE;
                    memcpy(out + Q4K_D + 2 * r, block, 2);
                    memcpy(out + Q4K_DMIN + 2 * r, block + 2, 2);
                    for (int i = 0; i < 8; i++)
                        q4k_scale_minimum(i, block + 4, &out[Q4K_SCALES + i * 16 + r], &out[Q4K_MINIMUMS + i * 16 + r]);
                    for (int p = 0; p < 4; p++)
                        for (int j = 0; j < 8; j++)
                            memcpy(out + ((p * 8 + j) * QUORUM_PACK_ROWS + r) * 4, block + 16 + 32 * p + 4 * j, 4);
                } else {
                    const uint8_t *block = (const uint8_t *)source + (size_t)row * source_row_bytes + (size_t)s * Q6K_SOURCE;
                    memcpy(out + Q6K_D + 2 * r, block + 208, 2);
                    for (int h = 0; h < 16; h++) out[Q6K_SCALES + h * 16 + r] = block[192 + h];
                    for (int c = 0; c < 256; c++) {
                        const int k = c / 32, j = (c % 32) / 4, t = c % 4;
                        out[((k * 8 + j) * QUORUM_PACK_ROWS + r) * 4 + t] = q6k_value(block, c);
                    }
                }
            }
        }
    }
}

// MARK: Portable

static float half_at(const uint8_t *p) {
    uint16_t bits;
    memcpy(&bits, p, 2);
    return quorum_half_to_float(bits);
}

static void multiply_portable(int32_t kind, const uint8_t *packed, int64_t rows, int64_t columns, int64_t group_begin,
                              int64_t group_end, const int8_t *quants, const float *scales, const float *sums,
                              const int32_t *quant_sums, const int32_t *half_sums, int64_t batch, float *output,
                              int64_t output_stride, const float *bias) {
    const int64_t superblocks = columns / 256, blocks = columns / 32;
    const size_t bytes = quorum_kquant_superblock_bytes(kind);
    for (int64_t g = group_begin; g < group_end; g++) {
        for (int64_t b = 0; b < batch; b++) {
            for (int r = 0; r < QUORUM_PACK_ROWS; r++) {
                const int64_t row = g * QUORUM_PACK_ROWS + r;
                if (row >= rows) break;
                float f = 0;
                for (int64_t s = 0; s < superblocks; s++) {
                    const uint8_t *p = packed + (size_t)(g * superblocks + s) * bytes;
                    for (int i = 0; i < 8; i++) {
                        const int64_t k = s * 8 + i, at = b * blocks + k;
                        const int8_t *a = quants + b * columns + k * 32;
                        if (kind == QUORUM_PACKED_Q4_K) {
                            const int pair = i / 2, shift = 4 * (i & 1);
                            int32_t isum = 0;
                            for (int j = 0; j < 8; j++)
                                for (int t = 0; t < 4; t++) {
                                    const uint8_t byte = p[((pair * 8 + j) * QUORUM_PACK_ROWS + r) * 4 + t];
                                    isum += (int32_t)((byte >> shift) & 0x0F) * a[4 * j + t];
                                }
                            const float scale = half_at(p + Q4K_D + 2 * r) * (float)p[Q4K_SCALES + i * 16 + r];
                            const float minimum = half_at(p + Q4K_DMIN + 2 * r) * (float)p[Q4K_MINIMUMS + i * 16 + r];
                            f = fmaf((float)isum, scale * scales[at], f);
                            f = fmaf(-minimum, sums[at], f);
                        } else {
                            int32_t low = -32 * half_sums[at], high = -32 * (quant_sums[at] - half_sums[at]);
                            for (int j = 0; j < 8; j++)
                                for (int t = 0; t < 4; t++) {
                                    const int32_t product = (int32_t)p[((i * 8 + j) * QUORUM_PACK_ROWS + r) * 4 + t] * a[4 * j + t];
                                    if (j < 4) low += product; else high += product;
                                }
                            const int32_t isum = (int8_t)p[Q6K_SCALES + (2 * i) * 16 + r] * low +
                                                 (int8_t)p[Q6K_SCALES + (2 * i + 1) * 16 + r] * high;
                            f = fmaf((float)isum, half_at(p + Q6K_D + 2 * r) * scales[at], f);
                        }
                    }
                }
                output[b * output_stride + row] = bias ? f + bias[row] : f;
            }
        }
    }
}

#if defined(__x86_64__)

/// Activation rows per register tile of the AVX-512 kernel.
#define K_TILE 8

// MARK: AVX-512 VNNI

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,fma"), always_inline)) static inline

/// One group × `nb` activation rows (nb ≤ K_TILE, a constant after inlining).
AVX512 void tile_avx512(int32_t kind, const uint8_t *group, int64_t columns, const int8_t *quants, const float *scales,
                        const float *sums, const int32_t *quant_sums, const int32_t *half_sums, int nb,
                        __m512 *result) {
    const int64_t superblocks = columns / 256, blocks = columns / 32;
    const __m512i low_mask = _mm512_set1_epi8(0x0F);
    const __m512i sign = _mm512_set1_epi32((int32_t)0x80000000u);
    __m512 f[K_TILE];
    for (int j = 0; j < nb; j++) f[j] = _mm512_setzero_ps();
    for (int64_t s = 0; s < superblocks; s++) {
        if (kind == QUORUM_PACKED_Q4_K) {
            const uint8_t *p = group + (size_t)s * Q4K_BYTES;
            const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + Q4K_D)));
            const __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + Q4K_DMIN)));
            for (int pair = 0; pair < 4; pair++) {
                __m512i w[2][8];
                for (int j = 0; j < 8; j++) {
                    const __m512i v = _mm512_loadu_si512((const void *)(p + (pair * 8 + j) * 64));
                    w[0][j] = _mm512_and_si512(v, low_mask);
                    w[1][j] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low_mask);
                }
                for (int nibble = 0; nibble < 2; nibble++) {
                    const int i = 2 * pair + nibble;
                    const int64_t k = s * 8 + i;
                    const __m512 scale = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
                        _mm_loadu_si128((const __m128i *)(p + Q4K_SCALES + i * 16)))));
                    // −(dmin · m) by flipping the sign bit, as C's unary minus does.
                    const __m512 minimum = _mm512_castsi512_ps(_mm512_xor_si512(sign, _mm512_castps_si512(_mm512_mul_ps(
                        dmin, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(p + Q4K_MINIMUMS + i * 16))))))));
                    for (int b = 0; b < nb; b++) {
                        const int32_t *a = (const int32_t *)(quants + b * columns + k * 32);
                        __m512i acc = _mm512_setzero_si512();
                        for (int j = 0; j < 8; j++) acc = _mm512_dpbusd_epi32(acc, w[nibble][j], _mm512_set1_epi32(a[j]));
                        f[b] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc), _mm512_mul_ps(scale, _mm512_set1_ps(scales[b * blocks + k])), f[b]);
                        f[b] = _mm512_fmadd_ps(minimum, _mm512_set1_ps(sums[b * blocks + k]), f[b]);
                    }
                }
            }
        } else {
            const uint8_t *p = group + (size_t)s * Q6K_BYTES;
            const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + Q6K_D)));
            for (int i = 0; i < 8; i++) {
                const int64_t k = s * 8 + i;
                __m512i w[8];
                for (int j = 0; j < 8; j++) w[j] = _mm512_loadu_si512((const void *)(p + (i * 8 + j) * 64));
                const __m512i scale_low = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + Q6K_SCALES + 2 * i * 16)));
                const __m512i scale_high = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + Q6K_SCALES + (2 * i + 1) * 16)));
                for (int b = 0; b < nb; b++) {
                    const int32_t *a = (const int32_t *)(quants + b * columns + k * 32);
                    const int32_t low_sum = half_sums[b * blocks + k], high_sum = quant_sums[b * blocks + k] - low_sum;
                    __m512i low = _mm512_set1_epi32(-32 * low_sum), high = _mm512_set1_epi32(-32 * high_sum);
                    for (int j = 0; j < 4; j++) low = _mm512_dpbusd_epi32(low, w[j], _mm512_set1_epi32(a[j]));
                    for (int j = 4; j < 8; j++) high = _mm512_dpbusd_epi32(high, w[j], _mm512_set1_epi32(a[j]));
                    const __m512i isum = _mm512_add_epi32(_mm512_mullo_epi32(low, scale_low), _mm512_mullo_epi32(high, scale_high));
                    f[b] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(d, _mm512_set1_ps(scales[b * blocks + k])), f[b]);
                }
            }
        }
    }
    for (int j = 0; j < nb; j++) result[j] = f[j];
}

AVX512 void group_avx512(int32_t kind, const uint8_t *group, int64_t columns, const int8_t *quants, const float *scales,
                         const float *sums, const int32_t *quant_sums, const int32_t *half_sums, int nb, float *output,
                         int64_t output_stride, const float *bias, int valid) {
    __m512 f[K_TILE];
    tile_avx512(kind, group, columns, quants, scales, sums, quant_sums, half_sums, nb, f);
    const __mmask16 mask = (__mmask16)((1u << valid) - 1);
    for (int j = 0; j < nb; j++) {
        __m512 v = f[j];
        if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias));
        _mm512_mask_storeu_ps(output + j * output_stride, mask, v);
    }
}

// MARK: AVX2 (no VNNI): the same lanes as two 8-row halves

#define AVX2 __attribute__((target("avx2,fma,f16c"), always_inline)) static inline

/// Σ over 4-byte groups of w (unsigned, ≤ 63) × a (signed): maddubs' pairs stay below 2^15.
AVX2 __m256i dot4_avx2(__m256i w, __m256i a) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(w, a), _mm256_set1_epi16(1));
}

/// One half (8 rows) of one group × `nb` activation rows (nb ≤ 2).
AVX2 void half_avx2(int32_t kind, const uint8_t *group, int half, int64_t columns, const int8_t *quants,
                    const float *scales, const float *sums, const int32_t *quant_sums, const int32_t *half_sums, int nb,
                    __m256 *result) {
    const int64_t superblocks = columns / 256, blocks = columns / 32;
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 f[2];
    for (int j = 0; j < nb; j++) f[j] = _mm256_setzero_ps();
    for (int64_t s = 0; s < superblocks; s++) {
        if (kind == QUORUM_PACKED_Q4_K) {
            const uint8_t *p = group + (size_t)s * Q4K_BYTES;
            const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + Q4K_D + 16 * half)));
            const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + Q4K_DMIN + 16 * half)));
            for (int i = 0; i < 8; i++) {
                const int64_t k = s * 8 + i;
                const int pair = i / 2, shift = 4 * (i & 1);
                __m256i w[8];
                for (int j = 0; j < 8; j++) {
                    const __m256i v = _mm256_loadu_si256((const __m256i *)(p + (pair * 8 + j) * 64 + 32 * half));
                    w[j] = _mm256_and_si256(_mm256_srli_epi16(v, shift), low_mask);
                }
                const __m256 scale = _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
                    _mm_loadl_epi64((const __m128i *)(p + Q4K_SCALES + i * 16 + 8 * half)))));
                const __m256 minimum = _mm256_xor_ps(sign, _mm256_mul_ps(dmin, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
                    _mm_loadl_epi64((const __m128i *)(p + Q4K_MINIMUMS + i * 16 + 8 * half))))));
                for (int b = 0; b < nb; b++) {
                    const int32_t *a = (const int32_t *)(quants + b * columns + k * 32);
                    __m256i acc = _mm256_setzero_si256();
                    for (int j = 0; j < 8; j++) acc = _mm256_add_epi32(acc, dot4_avx2(w[j], _mm256_set1_epi32(a[j])));
                    f[b] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), _mm256_mul_ps(scale, _mm256_set1_ps(scales[b * blocks + k])), f[b]);
                    f[b] = _mm256_fmadd_ps(minimum, _mm256_set1_ps(sums[b * blocks + k]), f[b]);
                }
            }
        } else {
            const uint8_t *p = group + (size_t)s * Q6K_BYTES;
            const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + Q6K_D + 16 * half)));
            for (int i = 0; i < 8; i++) {
                const int64_t k = s * 8 + i;
                __m256i w[8];
                for (int j = 0; j < 8; j++) w[j] = _mm256_loadu_si256((const __m256i *)(p + (i * 8 + j) * 64 + 32 * half));
                const __m256i scale_low = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + Q6K_SCALES + 2 * i * 16 + 8 * half)));
                const __m256i scale_high = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + Q6K_SCALES + (2 * i + 1) * 16 + 8 * half)));
                for (int b = 0; b < nb; b++) {
                    const int32_t *a = (const int32_t *)(quants + b * columns + k * 32);
                    const int32_t low_sum = half_sums[b * blocks + k], high_sum = quant_sums[b * blocks + k] - low_sum;
                    __m256i low = _mm256_set1_epi32(-32 * low_sum), high = _mm256_set1_epi32(-32 * high_sum);
                    for (int j = 0; j < 4; j++) low = _mm256_add_epi32(low, dot4_avx2(w[j], _mm256_set1_epi32(a[j])));
                    for (int j = 4; j < 8; j++) high = _mm256_add_epi32(high, dot4_avx2(w[j], _mm256_set1_epi32(a[j])));
                    const __m256i isum = _mm256_add_epi32(_mm256_mullo_epi32(low, scale_low), _mm256_mullo_epi32(high, scale_high));
                    f[b] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(d, _mm256_set1_ps(scales[b * blocks + k])), f[b]);
                }
            }
        }
    }
    for (int j = 0; j < nb; j++) result[j] = f[j];
}

AVX2 void group_avx2(int32_t kind, const uint8_t *group, int64_t columns, const int8_t *quants, const float *scales,
                     const float *sums, const int32_t *quant_sums, const int32_t *half_sums, int nb, float *output,
                     int64_t output_stride, const float *bias, int valid) {
    for (int half = 0; half < 2; half++) {
        __m256 f[2];
        half_avx2(kind, group, half, columns, quants, scales, sums, quant_sums, half_sums, nb, f);
        for (int j = 0; j < nb; j++) {
            float lanes[8];
            _mm256_storeu_ps(lanes, f[j]);
            for (int r = 0; r < 8; r++) {
                const int row = 8 * half + r;
                if (row >= valid) break;
                output[j * output_stride + row] = bias ? lanes[r] + bias[row] : lanes[r];
            }
        }
    }
}

/* The group loop of a SIMD path: whole tiles of TILE activation rows, then the
   leftover rows as one smaller tile (the row count is a constant after inlining). */
#define K_LEFTOVER(GROUP, TILE, KIND, N)                                                                           \
    case N:                                                                                                        \
        if (N < TILE) GROUP(KIND, group, columns, q, s, m, qs, hs, N < TILE ? N : 1, o, output_stride, group_bias, valid); \
        break;

#define DEFINE_K_KIND(NAME, TARGET, GROUP, TILE, KIND)                                                             \
    __attribute__((target(TARGET))) static void NAME(                                                              \
        const uint8_t *packed, int64_t rows, int64_t columns, int64_t group_begin, int64_t group_end,              \
        const int8_t *quants, const float *scales, const float *sums, const int32_t *quant_sums,                   \
        const int32_t *half_sums, int64_t batch, float *output, int64_t output_stride, const float *bias) {        \
        const int64_t blocks = columns / 32;                                                                       \
        const size_t group_bytes = (size_t)(columns / 256) * quorum_kquant_superblock_bytes(KIND);                 \
        for (int64_t g = group_begin; g < group_end; g++) {                                                         \
            const uint8_t *group = packed + (size_t)g * group_bytes;                                               \
            const int64_t row0 = g * QUORUM_PACK_ROWS;                                                             \
            const int valid = rows - row0 < QUORUM_PACK_ROWS ? (int)(rows - row0) : QUORUM_PACK_ROWS;               \
            const float *group_bias = bias ? bias + row0 : 0;                                                      \
            int64_t b = 0;                                                                                         \
            for (; b + TILE <= batch; b += TILE)                                                                   \
                GROUP(KIND, group, columns, quants + b * columns, scales + b * blocks, sums + b * blocks,          \
                      quant_sums + b * blocks, half_sums + b * blocks, TILE, output + b * output_stride + row0,     \
                      output_stride, group_bias, valid);                                                           \
            const int8_t *q = quants + b * columns;                                                                \
            const float *s = scales + b * blocks, *m = sums + b * blocks;                                          \
            const int32_t *qs = quant_sums + b * blocks, *hs = half_sums + b * blocks;                             \
            float *o = output + b * output_stride + row0;                                                          \
            switch (batch - b) {                                                                                   \
            K_LEFTOVER(GROUP, TILE, KIND, 7) K_LEFTOVER(GROUP, TILE, KIND, 6) K_LEFTOVER(GROUP, TILE, KIND, 5)       \
            K_LEFTOVER(GROUP, TILE, KIND, 4) K_LEFTOVER(GROUP, TILE, KIND, 3) K_LEFTOVER(GROUP, TILE, KIND, 2)       \
            K_LEFTOVER(GROUP, TILE, KIND, 1)                                                                       \
            default: break;                                                                                        \
            }                                                                                                      \
        }                                                                                                          \
    }

DEFINE_K_KIND(multiply_avx512_q4_k, "avx512f,avx512bw,avx512vl,avx512vnni,fma", group_avx512, K_TILE, QUORUM_PACKED_Q4_K)
DEFINE_K_KIND(multiply_avx512_q6_k, "avx512f,avx512bw,avx512vl,avx512vnni,fma", group_avx512, K_TILE, QUORUM_PACKED_Q6_K)
DEFINE_K_KIND(multiply_avx2_q4_k, "avx2,fma,f16c", group_avx2, 2, QUORUM_PACKED_Q4_K)
DEFINE_K_KIND(multiply_avx2_q6_k, "avx2,fma,f16c", group_avx2, 2, QUORUM_PACKED_Q6_K)

#endif

void quorum_kquant_multiply(int32_t isa, int32_t kind, const void *packed, int64_t rows, int64_t columns,
                            int64_t group_begin, int64_t group_end, const int8_t *quants, const float *scales,
                            const float *sums, const int32_t *quant_sums, const int32_t *half_sums, int64_t batch,
                            float *output, int64_t output_stride, const float *bias) {
    const uint8_t *p = (const uint8_t *)packed;
#if defined(__x86_64__)
    const int q4 = kind == QUORUM_PACKED_Q4_K;
    if (isa == QUORUM_ISA_AVX512_VNNI) {
        (q4 ? multiply_avx512_q4_k : multiply_avx512_q6_k)(p, rows, columns, group_begin, group_end, quants, scales, sums,
                                                           quant_sums, half_sums, batch, output, output_stride, bias);
        return;
    }
    if (isa == QUORUM_ISA_AVX2) {
        (q4 ? multiply_avx2_q4_k : multiply_avx2_q6_k)(p, rows, columns, group_begin, group_end, quants, scales, sums,
                                                       quant_sums, half_sums, batch, output, output_stride, bias);
        return;
    }
#endif
    (void)isa;
    multiply_portable(kind, p, rows, columns, group_begin, group_end, quants, scales, sums, quant_sums, half_sums, batch,
                      output, output_stride, bias);
}
