// Attention of one position over a paged KV cache (f16 keys and values), for the query heads sharing one KV
// head. Written as plain loops that vectorise without reassociation (keys are stored
// transposed, so q·K runs across 16 positions per vector; P·V runs across the head
// dimension), and compiled three times: AVX-512, AVX2+FMA and portable, picked once
// at run time. Each compile does the same float operations per element, so all three
// give the same results.
#include "CKernels.h"

#include <math.h>
#include <string.h>

#define PAGE QUORUM_ATTENTION_PAGE

#include "Exponential.h"
#include "Half.h"

#define ATTENTION_BODY(D, TO_FLOAT)                                                                                        \
    const int64_t dimension = (D);                                                                               \
    const int64_t padded = (count + PAGE - 1) / PAGE * PAGE;                                                     \
    const int64_t pages = padded / PAGE;                                                                         \
    /* Scores: q·k × scale for 16 positions at a time, keys transposed in the page. */                         \
    for (int64_t p = 0; p < pages; p++) {                                                                        \
        const int32_t id = page_table[p];                                                                        \
        const uint16_t *keys = slabs[id / pages_per_slab] + (id % pages_per_slab) * page_elements + key_offset;    \
        for (int64_t i = 0; i < group; i++) {                                                                    \
            const float *q = query + i * dimension;                                                              \
            float acc[PAGE];                                                                                     \
            for (int s = 0; s < PAGE; s++) acc[s] = 0;                                                           \
            for (int64_t j = 0; j < dimension; j++) {                                                            \
                const float qj = q[j];                                                                           \
                for (int s = 0; s < PAGE; s++) acc[s] = fmaf(qj, TO_FLOAT(keys[j * PAGE + s]), acc[s]);          \
            }                                                                                                    \
            float *out = scores + i * padded + p * PAGE;                                                         \
            for (int s = 0; s < PAGE; s++) out[s] = acc[s] * scale;                                              \
        }                                                                                                        \
    }                                                                                                            \
    /* Softmax per head over the count real positions. */                                                     \
    for (int64_t i = 0; i < group; i++) {                                                                        \
        float *row = scores + i * padded;                                                                        \
        float maximum = row[0];                                                                                  \
        for (int64_t t = 1; t < count; t++) maximum = row[t] > maximum ? row[t] : maximum;                       \
        float sum = 0;                                                                                           \
        for (int64_t t = 0; t < count; t++) {                                                                    \
            row[t] = quorum_exp(row[t] - maximum);                                                          \
        }                                                                                                        \
        for (int64_t t = 0; t < count; t++) sum += row[t];                                                       \
        const float inverse = 1.0f / sum;                                                                        \
        for (int64_t t = 0; t < count; t++) row[t] *= inverse;                                                   \
    }                                                                                                            \
    /* Output: Σ_t p_t · v_t per head. */                                                                      \
    for (int64_t i = 0; i < group; i++) {                                                                        \
        float acc[(D) > 0 ? (D) : 256];                                                                          \
        for (int64_t j = 0; j < dimension; j++) acc[j] = 0;                                                      \
        const float *row = scores + i * padded;                                                                  \
        for (int64_t p = 0; p < pages; p++) {                                                                    \
            const int32_t id = page_table[p];                                                                    \
            const uint16_t *values = slabs[id / pages_per_slab] + (id % pages_per_slab) * page_elements + value_offset; \
            const int64_t slots = count - p * PAGE < PAGE ? count - p * PAGE : PAGE;                            \
            for (int64_t s = 0; s < slots; s++) {                                                                \
                const float weight = row[p * PAGE + s];                                                          \
                const uint16_t *v = values + s * value_stride;                                                   \
                for (int64_t j = 0; j < dimension; j++) acc[j] = fmaf(weight, TO_FLOAT(v[j]), acc[j]);           \
            }                                                                                                    \
        }                                                                                                        \
        memcpy(output + i * dimension, acc, sizeof(float) * dimension);                                          \
    }

#define DEFINE_ATTENTION(NAME, TARGET, D, TO_FLOAT)                                                                        \
    TARGET static void NAME(const float *query, int64_t group, float scale, const uint16_t *const *slabs,            \
                            int64_t pages_per_slab, int64_t page_elements, const int32_t *page_table,              \
                            int64_t key_offset, int64_t value_offset, int64_t value_stride, int64_t count,        \
                            float *scores, float *output) {                                                      \
        ATTENTION_BODY(D, TO_FLOAT)                                                                              \
    }

#define DEFINE_ATTENTION_GENERIC(NAME, TARGET, TO_FLOAT)                                                                   \
    TARGET static void NAME(const float *query, int64_t group, int64_t head_dimension, float scale,              \
                            const uint16_t *const *slabs, int64_t pages_per_slab, int64_t page_elements,               \
                            const int32_t *page_table, int64_t key_offset, int64_t value_offset,                 \
                            int64_t value_stride, int64_t count, float *scores, float *output) {                 \
        ATTENTION_BODY(head_dimension, TO_FLOAT)                                                                 \
    }

#define PORTABLE_TARGET
DEFINE_ATTENTION_GENERIC(attention_portable, PORTABLE_TARGET, quorum_half_to_float)

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512_INLINE __attribute__((target("avx512f,avx512vl,fma"), always_inline)) static inline

/// `quorum_exp` on 16 lanes, the same operations in the same order.
AVX512_INLINE __m512 exp16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    x = _mm512_min_ps(x, _mm512_set1_ps(88.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _mm512_set1_ps(0.5f)),
                                          _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-0.693359375f), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
    p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
    const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

/// Head dimension 64 and G ≤ 4 query heads per KV head, all heads in one pass over
/// the pages so each key and value vector is loaded once; two accumulators per head
/// for q·K and four per head for P·V keep the FMA chains independent.
AVX512_INLINE void attention_avx512_d64(const int G, const float *query, float scale, const uint16_t *const *slabs,
                                        int64_t pages_per_slab, int64_t page_elements, const int32_t *page_table,
                                        int64_t key_offset, int64_t value_offset, int64_t value_stride, int64_t count,
                                        float *scores, float *output) {
    const int64_t padded = (count + PAGE - 1) / PAGE * PAGE;
    const int64_t pages = padded / PAGE;
    const __m512 scale16 = _mm512_set1_ps(scale);
    for (int64_t p = 0; p < pages; p++) {
        const int32_t id = page_table[p];
        const uint16_t *keys = slabs[id / pages_per_slab] + (id % pages_per_slab) * page_elements + key_offset;
        __m512 a[4][2];
        for (int i = 0; i < G; i++) a[i][0] = a[i][1] = _mm512_setzero_ps();
        for (int j = 0; j < 64; j += 2) {
            const __m512 k0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(keys + j * PAGE)));
            const __m512 k1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(keys + (j + 1) * PAGE)));
            for (int i = 0; i < G; i++) {
                a[i][0] = _mm512_fmadd_ps(_mm512_set1_ps(query[i * 64 + j]), k0, a[i][0]);
                a[i][1] = _mm512_fmadd_ps(_mm512_set1_ps(query[i * 64 + j + 1]), k1, a[i][1]);
            }
        }
        for (int i = 0; i < G; i++) _mm512_storeu_ps(scores + i * padded + p * PAGE, _mm512_mul_ps(_mm512_add_ps(a[i][0], a[i][1]), scale16));
    }
    const int tail = (int)(count - (pages - 1) * PAGE);
    const __mmask16 last = (__mmask16)(tail == 16 ? 0xFFFF : (1u << tail) - 1);
    float inverse[4];
    for (int i = 0; i < G; i++) {
        float *row = scores + i * padded;
        __m512 m = _mm512_set1_ps(-INFINITY);
        for (int64_t p = 0; p < pages; p++) {
            const __mmask16 k = p == pages - 1 ? last : 0xFFFF;
            m = _mm512_mask_max_ps(m, k, m, _mm512_loadu_ps(row + p * PAGE));
        }
        const __m512 maximum = _mm512_set1_ps(_mm512_reduce_max_ps(m));
        __m512 sum = _mm512_setzero_ps();
        for (int64_t p = 0; p < pages; p++) {
            const __mmask16 k = p == pages - 1 ? last : 0xFFFF;
            const __m512 e = _mm512_maskz_mov_ps(k, exp16(_mm512_sub_ps(_mm512_loadu_ps(row + p * PAGE), maximum)));
            _mm512_storeu_ps(row + p * PAGE, e);
            sum = _mm512_add_ps(sum, e);
        }
        inverse[i] = 1.0f / _mm512_reduce_add_ps(sum);
    }
    __m512 o[4][4];
    for (int i = 0; i < G; i++) o[i][0] = o[i][1] = o[i][2] = o[i][3] = _mm512_setzero_ps();
    for (int64_t p = 0; p < pages; p++) {
        const int32_t id = page_table[p];
        const uint16_t *values = slabs[id / pages_per_slab] + (id % pages_per_slab) * page_elements + value_offset;
        const int slots = p == pages - 1 ? tail : PAGE;
        for (int s = 0; s < slots; s++) {
            const __m256i *v = (const __m256i *)(values + s * value_stride);
            const __m512 v0 = _mm512_cvtph_ps(_mm256_loadu_si256(v)), v1 = _mm512_cvtph_ps(_mm256_loadu_si256(v + 1));
            const __m512 v2 = _mm512_cvtph_ps(_mm256_loadu_si256(v + 2)), v3 = _mm512_cvtph_ps(_mm256_loadu_si256(v + 3));
            for (int i = 0; i < G; i++) {
                const __m512 w = _mm512_set1_ps(scores[i * padded + p * PAGE + s]);
                o[i][0] = _mm512_fmadd_ps(w, v0, o[i][0]);
                o[i][1] = _mm512_fmadd_ps(w, v1, o[i][1]);
                o[i][2] = _mm512_fmadd_ps(w, v2, o[i][2]);
                o[i][3] = _mm512_fmadd_ps(w, v3, o[i][3]);
            }
        }
    }
    for (int i = 0; i < G; i++) {
        const __m512 inv = _mm512_set1_ps(inverse[i]);
        for (int k = 0; k < 4; k++) _mm512_storeu_ps(output + i * 64 + 16 * k, _mm512_mul_ps(o[i][k], inv));
    }
}

#define DEFINE_D64(G)                                                                                            \
    __attribute__((target("avx512f,avx512vl,fma"))) static void attention_avx512_d64_g##G(                       \
        const float *query, float scale, const uint16_t *const *slabs, int64_t pages_per_slab, int64_t page_elements,  \
        const int32_t *page_table, int64_t key_offset, int64_t value_offset, int64_t value_stride, int64_t count, \
        float *scores, float *output) {                                                                          \
        attention_avx512_d64(G, query, scale, slabs, pages_per_slab, page_elements, page_table, key_offset,        \
                             value_offset, value_stride, count, scores, output);                                 \
    }
DEFINE_D64(1)
DEFINE_D64(2)
DEFINE_D64(3)
DEFINE_D64(4)

#define AVX512_TARGET __attribute__((target("avx512f,avx512vl,fma,f16c")))
#define AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
DEFINE_ATTENTION(attention_avx512_64, AVX512_TARGET, 64, _cvtsh_ss)
DEFINE_ATTENTION(attention_avx512_128, AVX512_TARGET, 128, _cvtsh_ss)
DEFINE_ATTENTION_GENERIC(attention_avx512, AVX512_TARGET, _cvtsh_ss)
DEFINE_ATTENTION(attention_avx2_64, AVX2_TARGET, 64, _cvtsh_ss)
DEFINE_ATTENTION(attention_avx2_128, AVX2_TARGET, 128, _cvtsh_ss)
DEFINE_ATTENTION_GENERIC(attention_avx2, AVX2_TARGET, _cvtsh_ss)
#endif

void quorum_attention(const float *query, int64_t group, int64_t head_dimension, float scale,
                      const uint16_t *const *slabs, int64_t pages_per_slab, int64_t page_elements,
                      const int32_t *page_table, int64_t key_offset, int64_t value_offset, int64_t value_stride,
                      int64_t count, float *scores, float *output) {
#if defined(__x86_64__)
    const int32_t isa = quorum_int8_instruction_set();
    if (isa >= QUORUM_ISA_AVX512_VNNI) {
        if (head_dimension == 64 && group >= 1 && group <= 4) {
            typedef void (*D64)(const float *, float, const uint16_t *const *, int64_t, int64_t, const int32_t *, int64_t,
                                int64_t, int64_t, int64_t, float *, float *);
            static const D64 kernels[4] = {attention_avx512_d64_g1, attention_avx512_d64_g2, attention_avx512_d64_g3,
                                           attention_avx512_d64_g4};
            return kernels[group - 1](query, scale, slabs, pages_per_slab, page_elements, page_table, key_offset,
                                      value_offset, value_stride, count, scores, output);
        }
        if (head_dimension == 64) return attention_avx512_64(query, group, scale, slabs, pages_per_slab, page_elements, page_table, key_offset, value_offset, value_stride, count, scores, output);
        if (head_dimension == 128) return attention_avx512_128(query, group, scale, slabs, pages_per_slab, page_elements, page_table, key_offset, value_offset, value_stride, count, scores, output);
        if (head_dimension <= 256) return attention_avx512(query, group, head_dimension, scale, slabs, pages_per_slab, page_elements, page_table, key_offset, value_offset, value_stride, count, scores, output);
    } else if (isa >= QUORUM_ISA_AVX2) {
        if (head_dimension == 64) return attention_avx2_64(query, group, scale, slabs, pages_per_slab, page_elements, page_table, key_offset, value_offset, value_stride, count, scores, output);
        if (head_dimension == 128) return attention_avx2_128(query, group, scale, slabs, pages_per_slab, page_elements, page_table, key_offset, value_offset, value_stride, count, scores, output);
        if (head_dimension <= 256) return attention_avx2(query, group, head_dimension, scale, slabs, pages_per_slab, page_elements, page_table, key_offset, value_offset, value_stride, count, scores, output);
    }
#endif
    attention_portable(query, group, head_dimension, scale, slabs, pages_per_slab, page_elements, page_table, key_offset,
                       value_offset, value_stride, count, scores, output);
}
