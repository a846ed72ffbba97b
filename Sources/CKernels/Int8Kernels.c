// Int8 matrix kernels: quantised weights against int8 activations (the approach of
// ggml's `ggml_vec_dot_q4_1_q8_1` / `q8_0_q8_0`, read, not copied), laid out so that
// one SIMD lane holds one weight row and no horizontal sums are needed.
//
// Packed layout. Rows are interleaved in groups of 16. For each (group, block of 32
// columns) the packed bytes are: the quants as dwords `[j][row]` (dword j of each
// row's quants; q4: 4 dwords of 16 nibble bytes, q8: 8 dwords of 32 bytes), then 16
// f16 scales d, then (q4_1) 16 f16 minimums m, as in the file (widening f16 to f32 is
// exact, and keeping f16 keeps the packed matrix as small as the file's blocks). A q4 byte at dword j, byte t holds
// column 4j+t in its low nibble and column 16+4j+t in its high nibble (ggml's order),
// so after unpacking, register j (low) pairs with activation dword j and register 4+j
// (high) with dword 4+j. Q8_0 quants are stored XOR 0x80 (unsigned w + 128) for
// `vpdpbusd`, which multiplies unsigned by signed bytes.
//
// Arithmetic, per (weight row r, activation row b), identical on every path:
//   isum_k = Σ_{c in block k} w[r,c] · q[b,c]         exact int32 (w = q4 - 8, q4, q8)
//   f = fma((float)isum_k, d_w[r,k] · d_a[b,k], f)      for k = 0, 1, ... in order
//   f = fma(m_w[r,k], s_a[b,k], f)                      (q4_1 only; s_a = d_a · Σq)
//   output = f (+ bias[r])
// Lanes compute different rows, so tile shapes, batch size and instruction set never
// change a row's result: a sequence's logits do not depend on the batch it ran in.
#include "CKernels.h"
#include "Half.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline int quant_bytes(int32_t kind) { return kind == QUORUM_PACKED_Q8_0 ? 32 : 16; }
static inline int source_block_bytes(int32_t kind) {
    return kind == QUORUM_PACKED_Q4_0 ? 18 : kind == QUORUM_PACKED_Q4_1 ? 20 : 34;
}
/// Activation value subtracted from the stored weight quants: q4_0 stores q with
/// w = q - 8; q8_0 is stored as w + 128.
static inline int32_t weight_offset(int32_t kind) {
    return kind == QUORUM_PACKED_Q4_0 ? 8 : kind == QUORUM_PACKED_Q8_0 ? 128 : 0;
}

size_t quorum_packed_block_bytes(int32_t kind) {
    if (kind >= QUORUM_PACKED_Q4_K) return quorum_kquant_superblock_bytes(kind);
    return (size_t)(QUORUM_PACK_ROWS * quant_bytes(kind)) + 32 + (kind == QUORUM_PACKED_Q4_1 ? 32 : 0);
}

size_t quorum_packed_size(int32_t kind, int64_t rows, int64_t columns) {
    int64_t groups = (rows + QUORUM_PACK_ROWS - 1) / QUORUM_PACK_ROWS;
    if (kind >= QUORUM_PACKED_Q4_K) return (size_t)groups * (size_t)(columns / 256) * quorum_packed_block_bytes(kind);
    return (size_t)groups * (size_t)(columns / 32) * quorum_packed_block_bytes(kind);
}

void quorum_pack_groups(int32_t kind, const void *source, size_t source_row_bytes, int64_t rows, int64_t columns,
                        int64_t group_begin, int64_t group_end, void *destination) {
    if (kind >= QUORUM_PACKED_Q4_K) {
        quorum_kquant_pack_groups(kind, source, source_row_bytes, rows, columns, group_begin, group_end, destination);
        return;
    }
    const int64_t blocks = columns / 32;
    const size_t block_bytes = quorum_packed_block_bytes(kind);
    const int qbytes = quant_bytes(kind);
    const int dwords = qbytes / 4;
    const int source_bytes = source_block_bytes(kind);
    const int quant_offset = kind == QUORUM_PACKED_Q4_1 ? 4 : 2;
    for (int64_t g = group_begin; g < group_end; g++) {
        for (int64_t k = 0; k < blocks; k++) {
            uint8_t *out = (uint8_t *)destination + (size_t)(g * blocks + k) * block_bytes;
            memset(out, 0, block_bytes);
            uint16_t *scales = (uint16_t *)(out + QUORUM_PACK_ROWS * qbytes);
            uint16_t *minimums = scales + QUORUM_PACK_ROWS;
            for (int r = 0; r < QUORUM_PACK_ROWS; r++) {
                int64_t row = g * QUORUM_PACK_ROWS + r;
                if (row >= rows) {
                    // Padding rows: zero weights (q8 stored as 0 + 128), zero scales.
                    if (kind == QUORUM_PACKED_Q8_0) {
                        for (int j = 0; j < dwords; j++) memset(out + (j * QUORUM_PACK_ROWS + r) * 4, 0x80, 4);
                    }
                    continue;
                }
                const uint8_t *block = (const uint8_t *)source + (size_t)row * source_row_bytes + (size_t)k * source_bytes;
                memcpy(&scales[r], block, 2);
                if (kind == QUORUM_PACKED_Q4_1) memcpy(&minimums[r], block + 2, 2);
                for (int j = 0; j < dwords; j++) {
                    uint8_t *target = out + (j * QUORUM_PACK_ROWS + r) * 4;
                    for (int t = 0; t < 4; t++) {
                        uint8_t byte = block[quant_offset + 4 * j + t];
                        target[t] = kind == QUORUM_PACKED_Q8_0 ? (uint8_t)(byte ^ 0x80) : byte;
                    }
                }
            }
        }
    }
}

// MARK: Activation quantisation

static void quantize_portable(const float *x, int64_t columns, int8_t *q, float *scales, float *sums, int32_t *quant_sums,
                              int32_t *half_sums) {
    for (int64_t k = 0; k < columns / 32; k++) {
        const float *v = x + k * 32;
        float amax = 0;
        for (int i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(v[i]));
        const float d = amax / 127.0f;
        const float id = d != 0 ? 1.0f / d : 0.0f;
        int32_t sum = 0, half = 0;
        for (int i = 0; i < 32; i++) {
            int32_t value = (int32_t)nearbyintf(v[i] * id);
            q[k * 32 + i] = (int8_t)value;
            sum += value;
            if (i == 15) half = sum;
        }
        scales[k] = d;
        half_sums[k] = half;
        quant_sums[k] = sum;
        sums[k] = d * (float)sum;
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void quantize_avx2(const float *x, int64_t columns, int8_t *q, float *scales, float *sums, int32_t *quant_sums,
                          int32_t *half_sums) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    for (int64_t k = 0; k < columns / 32; k++) {
        const float *v = x + k * 32;
        __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8);
        __m256 v2 = _mm256_loadu_ps(v + 16), v3 = _mm256_loadu_ps(v + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign_mask, v0), _mm256_andnot_ps(sign_mask, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(sign_mask, v2), _mm256_andnot_ps(sign_mask, v3)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        const float amax = _mm_cvtss_f32(h);
        const float d = amax / 127.0f;
        const float id = d != 0 ? 1.0f / d : 0.0f;
        const __m256 scale = _mm256_set1_ps(id);
        // cvtps rounds to nearest even (the default MXCSR mode), as nearbyintf does.
        __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, scale));
        __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, scale));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, scale));
        __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, scale));
        __m256i first = _mm256_add_epi32(i0, i1);
        __m256i s = _mm256_add_epi32(first, _mm256_add_epi32(i2, i3));
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
        const int32_t sum = _mm_cvtsi128_si32(s4);
        __m128i h4 = _mm_add_epi32(_mm256_castsi256_si128(first), _mm256_extracti128_si256(first, 1));
        h4 = _mm_add_epi32(h4, _mm_shuffle_epi32(h4, 0x4E));
        h4 = _mm_add_epi32(h4, _mm_shuffle_epi32(h4, 0xB1));
        half_sums[k] = _mm_cvtsi128_si32(h4);
        // Pack to bytes in column order: packs interleave 128-bit lanes, permute fixes it.
        __m256i p01 = _mm256_packs_epi32(i0, i1), p23 = _mm256_packs_epi32(i2, i3);
        __m256i p = _mm256_packs_epi16(p01, p23);
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + k * 32), p);
        scales[k] = d;
        quant_sums[k] = sum;
        sums[k] = d * (float)sum;
    }
}
#endif

// MARK: Multiply, portable

static void multiply_portable(int32_t kind, const uint8_t *packed, int64_t rows, int64_t blocks, int64_t columns,
                              int64_t group_begin, int64_t group_end, const int8_t *quants, const float *scales,
                              const float *sums, const int32_t *quant_sums, int64_t batch, float *output,
                              int64_t output_stride, const float *bias) {
    const size_t block_bytes = quorum_packed_block_bytes(kind);
    const int qbytes = quant_bytes(kind);
    const int32_t offset = weight_offset(kind);
    for (int64_t g = group_begin; g < group_end; g++) {
        for (int64_t b = 0; b < batch; b++) {
            for (int r = 0; r < QUORUM_PACK_ROWS; r++) {
                int64_t row = g * QUORUM_PACK_ROWS + r;
                if (row >= rows) break;
                float f = 0;
                for (int64_t k = 0; k < blocks; k++) {
                    const uint8_t *p = packed + (size_t)(g * blocks + k) * block_bytes;
                    const int8_t *a = quants + b * columns + k * 32;
                    int32_t isum = -offset * quant_sums[b * blocks + k];
                    for (int j = 0; j < qbytes / 4; j++) {
                        for (int t = 0; t < 4; t++) {
                            uint8_t byte = p[(j * QUORUM_PACK_ROWS + r) * 4 + t];
                            if (kind == QUORUM_PACKED_Q8_0) {
                                isum += (int32_t)byte * a[4 * j + t];
                            } else {
                                isum += (int32_t)(byte & 0x0F) * a[4 * j + t] + (int32_t)(byte >> 4) * a[16 + 4 * j + t];
                            }
                        }
                    }
                    const uint16_t *ws = (const uint16_t *)(p + QUORUM_PACK_ROWS * qbytes);
                    f = fmaf((float)isum, quorum_half_to_float(ws[r]) * scales[b * blocks + k], f);
                    if (kind == QUORUM_PACKED_Q4_1) f = fmaf(quorum_half_to_float(ws[QUORUM_PACK_ROWS + r]), sums[b * blocks + k], f);
                }
                output[b * output_stride + row] = bias ? f + bias[row] : f;
            }
        }
    }
}

#if defined(__x86_64__)

// MARK: Multiply, AVX-512 VNNI

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,fma"), always_inline)) static inline

/// Activation rows per register tile of the AVX-512 kernel.
#ifndef QUORUM_TILE
#define QUORUM_TILE 8
#endif

/// One group × `nb` activation rows (nb ≤ QUORUM_TILE, a constant after inlining).
AVX512 void tile_avx512(int32_t kind, const uint8_t *group, int64_t blocks, int64_t columns, size_t block_bytes,
                        const int8_t *quants, const float *scales, const float *sums, const int32_t *quant_sums,
                        int nb, __m512 *result) {
    const int32_t offset = weight_offset(kind);
    const __m512i low_mask = _mm512_set1_epi8(0x0F);
    __m512 f[QUORUM_TILE];
    for (int j = 0; j < nb; j++) f[j] = _mm512_setzero_ps();
    for (int64_t k = 0; k < blocks; k++) {
        const uint8_t *p = group + (size_t)k * block_bytes;
        __m512i w[8];
        const __m256i *ws;
        if (kind == QUORUM_PACKED_Q8_0) {
            for (int i = 0; i < 8; i++) w[i] = _mm512_loadu_si512((const void *)(p + 64 * i));
            ws = (const __m256i *)(p + 512);
        } else {
            for (int i = 0; i < 4; i++) {
                __m512i v = _mm512_loadu_si512((const void *)(p + 64 * i));
                w[i] = _mm512_and_si512(v, low_mask);
                w[4 + i] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low_mask);
            }
            ws = (const __m256i *)(p + 256);
        }
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(ws));
        const __m512 mw = kind == QUORUM_PACKED_Q4_1 ? _mm512_cvtph_ps(_mm256_loadu_si256(ws + 1)) : _mm512_setzero_ps();
        for (int j = 0; j < nb; j++) {
            const int32_t *a = (const int32_t *)(quants + j * columns + k * 32);
            __m512i acc = _mm512_set1_epi32(-offset * quant_sums[j * blocks + k]);
            for (int i = 0; i < 8; i++) acc = _mm512_dpbusd_epi32(acc, w[i], _mm512_set1_epi32(a[i]));
            const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(scales[j * blocks + k]));
            f[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc), scale, f[j]);
            if (kind == QUORUM_PACKED_Q4_1) {
                f[j] = _mm512_fmadd_ps(mw, _mm512_set1_ps(sums[j * blocks + k]), f[j]);
            }
        }
    }
    for (int j = 0; j < nb; j++) result[j] = f[j];
}

AVX512 void group_avx512(int32_t kind, const uint8_t *group, int64_t blocks, int64_t columns, size_t block_bytes,
                         const int8_t *quants, const float *scales, const float *sums, const int32_t *quant_sums,
                         int nb, float *output, int64_t output_stride, const float *bias, int valid) {
    __m512 f[QUORUM_TILE];
    tile_avx512(kind, group, blocks, columns, block_bytes, quants, scales, sums, quant_sums, nb, f);
    const __mmask16 mask = (__mmask16)((1u << valid) - 1);
    for (int j = 0; j < nb; j++) {
        __m512 v = f[j];
        if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias));
        _mm512_mask_storeu_ps(output + j * output_stride, mask, v);
    }
}

/* The group loop shared by the SIMD paths: whole tiles of TILE activation rows, then
   the leftover rows as one smaller tile (GROUP's row count is a constant after inlining). */
#define LEFTOVER(GROUP, TILE, KIND, N)                                                                              \
    case N:                                                                                                         \
        if (N < TILE)                                                                                               \
            GROUP(KIND, group, blocks, columns, block_bytes, q, s, m, qs, N < TILE ? N : 1, o, output_stride,        \
                  group_bias, valid);                                                                               \
        break;

#define DEFINE_KIND(NAME, TARGET, GROUP, TILE, KIND)                                                                \
    __attribute__((target(TARGET))) static void NAME(                                                               \
        const uint8_t *packed, int64_t rows, int64_t blocks, int64_t columns, int64_t group_begin, int64_t group_end, \
        const int8_t *quants, const float *scales, const float *sums, const int32_t *quant_sums, int64_t batch,      \
        float *output, int64_t output_stride, const float *bias) {                                                  \
        const size_t block_bytes = quorum_packed_block_bytes(KIND);                                                 \
        for (int64_t g = group_begin; g < group_end; g++) {                                                          \
            const uint8_t *group = packed + (size_t)(g * blocks) * block_bytes;                                     \
            int64_t row0 = g * QUORUM_PACK_ROWS;                                                                    \
            int valid = rows - row0 < QUORUM_PACK_ROWS ? (int)(rows - row0) : QUORUM_PACK_ROWS;                      \
            const float *group_bias = bias ? bias + row0 : 0;                                                       \
            int64_t b = 0;                                                                                          \
            for (; b + TILE <= batch; b += TILE)                                                                    \
                GROUP(KIND, group, blocks, columns, block_bytes, quants + b * columns, scales + b * blocks,         \
                      sums + b * blocks, quant_sums + b * blocks, TILE, output + b * output_stride + row0,           \
                      output_stride, group_bias, valid);                                                             \
            const int8_t *q = quants + b * columns;                                                                 \
            const float *s = scales + b * blocks, *m = sums + b * blocks;                                           \
            const int32_t *qs = quant_sums + b * blocks;                                                            \
            float *o = output + b * output_stride + row0;                                                           \
            switch (batch - b) {                                                                                    \
            LEFTOVER(GROUP, TILE, KIND, 7) LEFTOVER(GROUP, TILE, KIND, 6) LEFTOVER(GROUP, TILE, KIND, 5)              \
            LEFTOVER(GROUP, TILE, KIND, 4) LEFTOVER(GROUP, TILE, KIND, 3) LEFTOVER(GROUP, TILE, KIND, 2)              \
            LEFTOVER(GROUP, TILE, KIND, 1)                                                                          \
            default: break;                                                                                         \
            }                                                                                                       \
        }                                                                                                           \
    }

#define AVX512_TARGET_NAME "avx512f,avx512bw,avx512vl,avx512vnni,fma"
DEFINE_KIND(multiply_avx512_q4_0, AVX512_TARGET_NAME, group_avx512, QUORUM_TILE, QUORUM_PACKED_Q4_0)
DEFINE_KIND(multiply_avx512_q4_1, AVX512_TARGET_NAME, group_avx512, QUORUM_TILE, QUORUM_PACKED_Q4_1)
DEFINE_KIND(multiply_avx512_q8_0, AVX512_TARGET_NAME, group_avx512, QUORUM_TILE, QUORUM_PACKED_Q8_0)

// MARK: Multiply, AVX2 (no VNNI): the same lanes as two 8-row halves

#define AVX2 __attribute__((target("avx2,fma,f16c"), always_inline)) static inline

/// Σ over 4-byte groups of w (unsigned, < 128 or q8 handled by the caller) × a (signed).
AVX2 __m256i dot4_avx2(__m256i w, __m256i a) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(w, a), _mm256_set1_epi16(1));
}

/// One half (8 rows) of one group × `nb` activation rows (nb ≤ 2).
AVX2 void half_avx2(int32_t kind, const uint8_t *group, int half, int64_t blocks, int64_t columns, size_t block_bytes,
                    const int8_t *quants, const float *scales, const float *sums, const int32_t *quant_sums, int nb,
                    __m256 *result) {
    const int32_t offset = kind == QUORUM_PACKED_Q4_0 ? 8 : 0;   // q8 is unbiased below
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    const __m256i bias128 = _mm256_set1_epi8((char)0x80);
    __m256 f[2];
    for (int j = 0; j < nb; j++) f[j] = _mm256_setzero_ps();
    for (int64_t k = 0; k < blocks; k++) {
        const uint8_t *p = group + (size_t)k * block_bytes;
        __m256i w[8];
        const __m128i *ws;
        if (kind == QUORUM_PACKED_Q8_0) {
            // Back to signed w; Σ w·a = Σ |w| · sign(a, w), and |w| ≤ 128 keeps maddubs' pairs unsaturated.
            for (int i = 0; i < 8; i++) w[i] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + 64 * i + 32 * half)), bias128);
            ws = (const __m128i *)(p + 512);
        } else {
            for (int i = 0; i < 4; i++) {
                __m256i v = _mm256_loadu_si256((const __m256i *)(p + 64 * i + 32 * half));
                w[i] = _mm256_and_si256(v, low_mask);
                w[4 + i] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low_mask);
            }
            ws = (const __m128i *)(p + 256);
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(ws + half));
        const __m256 mw = kind == QUORUM_PACKED_Q4_1 ? _mm256_cvtph_ps(_mm_loadu_si128(ws + 2 + half)) : _mm256_setzero_ps();
        for (int j = 0; j < nb; j++) {
            const int32_t *a = (const int32_t *)(quants + j * columns + k * 32);
            __m256i acc = _mm256_set1_epi32(-offset * quant_sums[j * blocks + k]);
            for (int i = 0; i < 8; i++) {
                __m256i av = _mm256_set1_epi32(a[i]);
                if (kind == QUORUM_PACKED_Q8_0) {
                    acc = _mm256_add_epi32(acc, dot4_avx2(_mm256_sign_epi8(w[i], w[i]), _mm256_sign_epi8(av, w[i])));
                } else {
                    acc = _mm256_add_epi32(acc, dot4_avx2(w[i], av));
                }
            }
            const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(scales[j * blocks + k]));
            f[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), scale, f[j]);
            if (kind == QUORUM_PACKED_Q4_1) {
                f[j] = _mm256_fmadd_ps(mw, _mm256_set1_ps(sums[j * blocks + k]), f[j]);
            }
        }
    }
    for (int j = 0; j < nb; j++) result[j] = f[j];
}

AVX2 void group_avx2(int32_t kind, const uint8_t *group, int64_t blocks, int64_t columns, size_t block_bytes,
                     const int8_t *quants, const float *scales, const float *sums, const int32_t *quant_sums, int nb,
                     float *output, int64_t output_stride, const float *bias, int valid) {
    for (int half = 0; half < 2; half++) {
        __m256 f[2];
        half_avx2(kind, group, half, blocks, columns, block_bytes, quants, scales, sums, quant_sums, nb, f);
        for (int j = 0; j < nb; j++) {
            float lanes[8];
            _mm256_storeu_ps(lanes, f[j]);
            for (int r = 0; r < 8; r++) {
                int row = 8 * half + r;
                if (row >= valid) break;
                output[j * output_stride + row] = bias ? lanes[r] + bias[row] : lanes[r];
            }
        }
    }
}

DEFINE_KIND(multiply_avx2_q4_0, "avx2,fma,f16c", group_avx2, 2, QUORUM_PACKED_Q4_0)
DEFINE_KIND(multiply_avx2_q4_1, "avx2,fma,f16c", group_avx2, 2, QUORUM_PACKED_Q4_1)
DEFINE_KIND(multiply_avx2_q8_0, "avx2,fma,f16c", group_avx2, 2, QUORUM_PACKED_Q8_0)

#endif

// MARK: Dispatch

static int32_t best_isa = -1;

int32_t quorum_int8_best_instruction_set(void) {
    if (best_isa < 0) {
        int32_t isa = QUORUM_ISA_PORTABLE;
#if defined(__x86_64__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
            isa = QUORUM_ISA_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
            isa = QUORUM_ISA_AVX512_VNNI;
#endif
        best_isa = isa;
    }
    return best_isa;
}

int32_t quorum_int8_instruction_set(void) { return quorum_int8_best_instruction_set(); }

static int32_t clamp_isa(int32_t isa) {
    const int32_t best = quorum_int8_best_instruction_set();
    return isa < 0 ? 0 : isa > best ? best : isa;
}

void quorum_quantize_rows(const float *input, int64_t input_stride, int64_t rows, int64_t columns,
                          int8_t *quants, float *scales, float *sums, int32_t *quant_sums, int32_t *half_sums) {
    quorum_quantize_rows_isa(quorum_int8_instruction_set(), input, input_stride, rows, columns, quants, scales, sums,
                             quant_sums, half_sums);
}

void quorum_quantize_rows_isa(int32_t isa, const float *input, int64_t input_stride, int64_t rows, int64_t columns,
                              int8_t *quants, float *scales, float *sums, int32_t *quant_sums, int32_t *half_sums) {
    const int64_t blocks = columns / 32;
    isa = clamp_isa(isa);
    for (int64_t b = 0; b < rows; b++) {
        const float *x = input + b * input_stride;
        int8_t *q = quants + b * columns;
#if defined(__x86_64__)
        if (isa >= QUORUM_ISA_AVX2) {
            quantize_avx2(x, columns, q, scales + b * blocks, sums + b * blocks, quant_sums + b * blocks,
                          half_sums + b * blocks);
            continue;
        }
#endif
        (void)isa;
        quantize_portable(x, columns, q, scales + b * blocks, sums + b * blocks, quant_sums + b * blocks,
                          half_sums + b * blocks);
    }
}

void quorum_int8_multiply(int32_t kind, const void *packed, int64_t rows, int64_t columns,
                          int64_t group_begin, int64_t group_end,
                          const int8_t *quants, const float *scales, const float *sums, const int32_t *quant_sums,
                          const int32_t *half_sums, int64_t batch, float *output, int64_t output_stride,
                          const float *bias) {
    quorum_int8_multiply_isa(quorum_int8_instruction_set(), kind, packed, rows, columns, group_begin, group_end, quants,
                             scales, sums, quant_sums, half_sums, batch, output, output_stride, bias);
}

void quorum_int8_multiply_isa(int32_t isa, int32_t kind, const void *packed, int64_t rows, int64_t columns,
                              int64_t group_begin, int64_t group_end,
                              const int8_t *quants, const float *scales, const float *sums, const int32_t *quant_sums,
                              const int32_t *half_sums, int64_t batch, float *output, int64_t output_stride,
                              const float *bias) {
    if (kind >= QUORUM_PACKED_Q4_K) {
        quorum_kquant_multiply(clamp_isa(isa), kind, packed, rows, columns, group_begin, group_end, quants, scales, sums,
                               quant_sums, half_sums, batch, output, output_stride, bias);
        return;
    }
    const int64_t blocks = columns / 32;
    const uint8_t *p = (const uint8_t *)packed;
#if defined(__x86_64__)
    switch (clamp_isa(isa)) {
    case QUORUM_ISA_AVX512_VNNI:
        switch (kind) {
        case QUORUM_PACKED_Q4_0: multiply_avx512_q4_0(p, rows, blocks, columns, group_begin, group_end, quants, scales, sums, quant_sums, batch, output, output_stride, bias); return;
        case QUORUM_PACKED_Q4_1: multiply_avx512_q4_1(p, rows, blocks, columns, group_begin, group_end, quants, scales, sums, quant_sums, batch, output, output_stride, bias); return;
        default: multiply_avx512_q8_0(p, rows, blocks, columns, group_begin, group_end, quants, scales, sums, quant_sums, batch, output, output_stride, bias); return;
        }
    case QUORUM_ISA_AVX2:
        switch (kind) {
        case QUORUM_PACKED_Q4_0: multiply_avx2_q4_0(p, rows, blocks, columns, group_begin, group_end, quants, scales, sums, quant_sums, batch, output, output_stride, bias); return;
        case QUORUM_PACKED_Q4_1: multiply_avx2_q4_1(p, rows, blocks, columns, group_begin, group_end, quants, scales, sums, quant_sums, batch, output, output_stride, bias); return;
        default: multiply_avx2_q8_0(p, rows, blocks, columns, group_begin, group_end, quants, scales, sums, quant_sums, batch, output, output_stride, bias); return;
        }
    default: break;
    }
#endif
    multiply_portable(kind, p, rows, blocks, columns, group_begin, group_end, quants, scales, sums, quant_sums, batch,
                      output, output_stride, bias);
}
