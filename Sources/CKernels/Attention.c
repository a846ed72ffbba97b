// Attention of one position over a paged KV cache, for the query heads sharing one KV
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

#define ATTENTION_BODY(D)                                                                                        \
    const int64_t dimension = (D);                                                                               \
    const int64_t padded = (count + PAGE - 1) / PAGE * PAGE;                                                     \
    const int64_t pages = padded / PAGE;                                                                         \
    /* Scores: q·k × scale for 16 positions at a time, keys transposed in the page. */                         \
    for (int64_t p = 0; p < pages; p++) {                                                                        \
        const int32_t id = page_table[p];                                                                        \
        const float *keys = slabs[id / pages_per_slab] + (id % pages_per_slab) * page_floats + key_offset;       \
        for (int64_t i = 0; i < group; i++) {                                                                    \
            const float *q = query + i * dimension;                                                              \
            float acc[PAGE];                                                                                     \
            for (int s = 0; s < PAGE; s++) acc[s] = 0;                                                           \
            for (int64_t j = 0; j < dimension; j++) {                                                            \
                const float qj = q[j];                                                                           \
                for (int s = 0; s < PAGE; s++) acc[s] = fmaf(qj, keys[j * PAGE + s], acc[s]);                    \
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
            const float *values = slabs[id / pages_per_slab] + (id % pages_per_slab) * page_floats + value_offset; \
            const int64_t slots = count - p * PAGE < PAGE ? count - p * PAGE : PAGE;                            \
            for (int64_t s = 0; s < slots; s++) {                                                                \
                const float weight = row[p * PAGE + s];                                                          \
                const float *v = values + s * value_stride;                                                      \
                for (int64_t j = 0; j < dimension; j++) acc[j] = fmaf(weight, v[j], acc[j]);                     \
            }                                                                                                    \
        }                                                                                                        \
        memcpy(output + i * dimension, acc, sizeof(float) * dimension);                                          \
    }

#define DEFINE_ATTENTION(NAME, TARGET, D)                                                                        \
    TARGET static void NAME(const float *query, int64_t group, float scale, const float *const *slabs,            \
                            int64_t pages_per_slab, int64_t page_floats, const int32_t *page_table,              \
                            int64_t key_offset, int64_t value_offset, int64_t value_stride, int64_t count,        \
                            float *scores, float *output) {                                                      \
        ATTENTION_BODY(D)                                                                                        \
    }

#define DEFINE_ATTENTION_GENERIC(NAME, TARGET)                                                                   \
    TARGET static void NAME(const float *query, int64_t group, int64_t head_dimension, float scale,              \
                            const float *const *slabs, int64_t pages_per_slab, int64_t page_floats,               \
                            const int32_t *page_table, int64_t key_offset, int64_t value_offset,                 \
                            int64_t value_stride, int64_t count, float *scores, float *output) {                 \
        ATTENTION_BODY(head_dimension)                                                                           \
    }

#define PORTABLE_TARGET
DEFINE_ATTENTION_GENERIC(attention_portable, PORTABLE_TARGET)

#if defined(__x86_64__)
#define AVX512_TARGET __attribute__((target("avx512f,avx512vl,fma,f16c")))
#define AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
DEFINE_ATTENTION(attention_avx512_64, AVX512_TARGET, 64)
DEFINE_ATTENTION(attention_avx512_128, AVX512_TARGET, 128)
DEFINE_ATTENTION_GENERIC(attention_avx512, AVX512_TARGET)
DEFINE_ATTENTION(attention_avx2_64, AVX2_TARGET, 64)
DEFINE_ATTENTION(attention_avx2_128, AVX2_TARGET, 128)
DEFINE_ATTENTION_GENERIC(attention_avx2, AVX2_TARGET)
#endif

void quorum_attention(const float *query, int64_t group, int64_t head_dimension, float scale,
                      const float *const *slabs, int64_t pages_per_slab, int64_t page_floats,
                      const int32_t *page_table, int64_t key_offset, int64_t value_offset, int64_t value_stride,
                      int64_t count, float *scores, float *output) {
#if defined(__x86_64__)
    const int32_t isa = quorum_int8_instruction_set();
    if (isa >= QUORUM_ISA_AVX512_VNNI) {
        if (head_dimension == 64) return attention_avx512_64(query, group, scale, slabs, pages_per_slab, page_floats, page_table, key_offset, value_offset, value_stride, count, scores, output);
        if (head_dimension == 128) return attention_avx512_128(query, group, scale, slabs, pages_per_slab, page_floats, page_table, key_offset, value_offset, value_stride, count, scores, output);
        if (head_dimension <= 256) return attention_avx512(query, group, head_dimension, scale, slabs, pages_per_slab, page_floats, page_table, key_offset, value_offset, value_stride, count, scores, output);
    } else if (isa >= QUORUM_ISA_AVX2) {
        if (head_dimension == 64) return attention_avx2_64(query, group, scale, slabs, pages_per_slab, page_floats, page_table, key_offset, value_offset, value_stride, count, scores, output);
        if (head_dimension == 128) return attention_avx2_128(query, group, scale, slabs, pages_per_slab, page_floats, page_table, key_offset, value_offset, value_stride, count, scores, output);
        if (head_dimension <= 256) return attention_avx2(query, group, head_dimension, scale, slabs, pages_per_slab, page_floats, page_table, key_offset, value_offset, value_stride, count, scores, output);
    }
#endif
    attention_portable(query, group, head_dimension, scale, slabs, pages_per_slab, page_floats, page_table, key_offset,
                       value_offset, value_stride, count, scores, output);
}
