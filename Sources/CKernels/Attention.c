// Attention of batch rows over a paged KV cache (f16 keys and values), for the query
// heads sharing one KV head. Rows that share their first pages (samples forked from
// one prompt) are scored together on those pages: each shared key and value page is
// read once for the query heads of all those rows (a small matrix-matrix product)
// instead of once per row, and each row's private pages follow one by one.
//
// Batch invariance: every float operation of one (row, head) — its q·k of each page,
// its softmax, its Σ p·v in position order — is the same whether the row runs alone
// (`quorum_attention`, a call with one row) or with others; rows only share the
// loading of pages. So a sequence's logits do not depend on its batch.
//
// Written as plain loops that vectorise without reassociation (keys are stored
// transposed, so q·K runs across 16 positions per vector; P·V runs across the head
// dimension), and compiled three times: AVX-512, AVX2+FMA and portable, picked once at
// run time; head dimension 64 on AVX-512 has an intrinsics kernel.
#include "CKernels.h"

#include <math.h>
#include <string.h>

#define PAGE QUORUM_ATTENTION_PAGE
#define PAGE_AT(id) (slabs[(id) / pages_per_slab] + ((id) % pages_per_slab) * page_elements)

#include "Exponential.h"
#include "Half.h"

/// Asks for one page's keys of one head (up to 256 × 16 f16) ahead of use: a row's own
/// pages are usually in memory, not cache, and the next page's address is only known
/// from the page table, so the hardware prefetcher cannot guess it.
static inline void prefetch_keys(const uint16_t *keys, int64_t dimension) {
    for (int64_t c = 0; c < dimension * PAGE; c += 32) __builtin_prefetch(keys + c, 0, 3);
}

/// The same for one page's values of one head (16 slots × dimension f16).
static inline void prefetch_values(const uint16_t *values, int64_t value_stride, int64_t dimension) {
    for (int s = 0; s < PAGE; s++)
        for (int64_t c = 0; c < dimension; c += 32) __builtin_prefetch(values + s * value_stride + c, 0, 3);
}

/// Prefetches the keys (or values) of the page after page p of row r: its next page, or
/// the next row's first own page.
#define PREFETCH_NEXT(PREFETCH, OFFSET, ...)                                                                     \
    do {                                                                                                         \
        if (p + 1 < pages) PREFETCH(PAGE_AT(page_tables[rows[r]][p + 1]) + (OFFSET), __VA_ARGS__);               \
        else if (r + 1 < row_count && shared_pages * PAGE < counts[rows[r + 1]])                                 \
            PREFETCH(PAGE_AT(page_tables[rows[r + 1]][shared_pages]) + (OFFSET), __VA_ARGS__);                   \
    } while (0)

/// The common parameters of every variant.
#define ROWS_PARAMETERS                                                                                          \
    int64_t row_count, const int32_t *rows, const float *query, int64_t query_stride, float *output,              \
        int64_t output_stride, int64_t group, int64_t head_dimension, float scale, const uint16_t *const *slabs,   \
        int64_t pages_per_slab, int64_t page_elements, const int32_t *const *page_tables, const int64_t *counts,   \
        int64_t shared_pages, int64_t key_offset, int64_t value_offset, int64_t value_stride, float *scores
#define ROWS_ARGUMENTS                                                                                           \
    row_count, rows, query, query_stride, output, output_stride, group, head_dimension, scale, slabs,              \
        pages_per_slab, page_elements, page_tables, counts, shared_pages, key_offset, value_offset, value_stride,  \
        scores

/// One head's output += Σ_s w_s · v_s over the first `SLOTS` positions of one page.
#define ACCUMULATE_PAGE(W, VALUES, SLOTS, OUT, D, TO_FLOAT)                                                      \
    do {                                                                                                         \
        const float *w_ = (W);                                                                                   \
        const uint16_t *values_ = (VALUES);                                                                      \
        float *o_ = (OUT);                                                                                       \
        float acc[(D) > 0 ? (D) : dimension];                                                                          \
        memcpy(acc, o_, sizeof(float) * dimension);                                                              \
        for (int64_t s = 0; s < (SLOTS); s++) {                                                                  \
            const float weight = w_[s];                                                                          \
            const uint16_t *v = values_ + s * value_stride;                                                      \
            for (int64_t j = 0; j < dimension; j++) acc[j] = fmaf(weight, TO_FLOAT(v[j]), acc[j]);               \
        }                                                                                                        \
        memcpy(o_, acc, sizeof(float) * dimension);                                                              \
    } while (0)

/// Heads the plain-C variants score together per pass over a key page.
#define GENERIC_SCORE_HEADS 4

/// Defines NAME: the plain-C kernel for head dimension D (0: any, up to 256), with
/// NAME##_score, scores of H heads over one page — per head q·k as one FMA chain over
/// the dimensions in order, × scale — the H heads interleaved so the chains overlap
/// and each key is converted once for them.
#define DEFINE_ROWS(NAME, TARGET, D, TO_FLOAT)                                                                   \
    TARGET __attribute__((always_inline)) static inline void NAME##_score_chunk(                                \
        const int H, int64_t dimension, const float *const *q, float *const *out, const uint16_t *keys, float scale) { \
        float acc[GENERIC_SCORE_HEADS][PAGE];                                                                    \
        for (int i = 0; i < H; i++)                                                                              \
            for (int s = 0; s < PAGE; s++) acc[i][s] = 0;                                                        \
        for (int64_t j = 0; j < ((D) > 0 ? (D) : dimension); j++) {                                              \
            float k[PAGE];                                                                                       \
            for (int s = 0; s < PAGE; s++) k[s] = TO_FLOAT(keys[j * PAGE + s]);                                  \
            for (int i = 0; i < H; i++) {                                                                        \
                const float qj = q[i][j];                                                                        \
                for (int s = 0; s < PAGE; s++) acc[i][s] = fmaf(qj, k[s], acc[i][s]);                            \
            }                                                                                                    \
        }                                                                                                        \
        for (int i = 0; i < H; i++)                                                                              \
            for (int s = 0; s < PAGE; s++) out[i][s] = acc[i][s] * scale;                                        \
    }                                                                                                            \
    TARGET static void NAME##_score(int H, int64_t dimension, const float *const *q, float *const *out,          \
                                    const uint16_t *keys, float scale) {                                         \
        switch (H) {                                                                                             \
        case 1: NAME##_score_chunk(1, dimension, q, out, keys, scale); break;                                    \
        case 2: NAME##_score_chunk(2, dimension, q, out, keys, scale); break;                                    \
        case 3: NAME##_score_chunk(3, dimension, q, out, keys, scale); break;                                    \
        default: NAME##_score_chunk(4, dimension, q, out, keys, scale); break;                                   \
        }                                                                                                        \
    }                                                                                                            \
    TARGET static void NAME(ROWS_PARAMETERS) {                                                                   \
        const int64_t dimension = (D) > 0 ? (D) : head_dimension;                                                \
        int64_t longest = 0;                                                                                     \
        for (int64_t r = 0; r < row_count; r++) longest = counts[rows[r]] > longest ? counts[rows[r]] : longest; \
        const int64_t stride = (longest + PAGE - 1) / PAGE * PAGE;                                               \
        const int64_t heads = row_count * group;                                                                 \
        const float *q[GENERIC_SCORE_HEADS];                                                                     \
        float *out[GENERIC_SCORE_HEADS];                                                                         \
        /* Scores on the shared pages: each page's keys once for every row's heads. */                          \
        for (int64_t p = 0; p < shared_pages; p++) {                                                             \
            const uint16_t *keys = PAGE_AT(page_tables[rows[0]][p]) + key_offset;                                \
            for (int64_t h0 = 0; h0 < heads; h0 += GENERIC_SCORE_HEADS) {                                        \
                const int H = (int)(heads - h0 < GENERIC_SCORE_HEADS ? heads - h0 : GENERIC_SCORE_HEADS);        \
                for (int i = 0; i < H; i++) {                                                                    \
                    q[i] = query + rows[(h0 + i) / group] * query_stride + ((h0 + i) % group) * dimension;       \
                    out[i] = scores + (h0 + i) * stride + p * PAGE;                                              \
                }                                                                                                \
                NAME##_score(H, dimension, q, out, keys, scale);                                                 \
            }                                                                                                    \
        }                                                                                                        \
        /* Scores on each row's own pages. */                                                                 \
        for (int64_t r = 0; r < row_count; r++) {                                                                \
            const int64_t pages = (counts[rows[r]] + PAGE - 1) / PAGE;                                           \
            for (int64_t p = shared_pages; p < pages; p++) {                                                     \
                const uint16_t *keys = PAGE_AT(page_tables[rows[r]][p]) + key_offset;                            \
                PREFETCH_NEXT(prefetch_keys, key_offset, dimension);                                             \
                for (int64_t i0 = 0; i0 < group; i0 += GENERIC_SCORE_HEADS) {                                    \
                    const int H = (int)(group - i0 < GENERIC_SCORE_HEADS ? group - i0 : GENERIC_SCORE_HEADS);    \
                    for (int i = 0; i < H; i++) {                                                                \
                        q[i] = query + rows[r] * query_stride + (i0 + i) * dimension;                            \
                        out[i] = scores + (r * group + i0 + i) * stride + p * PAGE;                              \
                    }                                                                                            \
                    NAME##_score(H, dimension, q, out, keys, scale);                                             \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
        /* Softmax per head over its row's count positions. */                                                \
        for (int64_t h = 0; h < heads; h++) {                                                                    \
            const int64_t count = counts[rows[h / group]];                                                       \
            float *row = scores + h * stride;                                                                    \
            float maximum = row[0];                                                                              \
            for (int64_t t = 1; t < count; t++) maximum = row[t] > maximum ? row[t] : maximum;                   \
            for (int64_t t = 0; t < count; t++) row[t] = quorum_exp(row[t] - maximum);                           \
            float sum = 0;                                                                                       \
            for (int64_t t = 0; t < count; t++) sum += row[t];                                                   \
            const float inverse = 1.0f / sum;                                                                    \
            for (int64_t t = 0; t < count; t++) row[t] *= inverse;                                               \
        }                                                                                                        \
        /* Output Σ_t p_t · v_t per head, in position order: shared pages, then the row's own. */              \
        for (int64_t r = 0; r < row_count; r++)                                                                  \
            memset(output + rows[r] * output_stride, 0, sizeof(float) * group * dimension);                      \
        for (int64_t p = 0; p < shared_pages; p++) {                                                             \
            const uint16_t *values = PAGE_AT(page_tables[rows[0]][p]) + value_offset;                            \
            for (int64_t r = 0; r < row_count; r++)                                                              \
                for (int64_t i = 0; i < group; i++)                                                              \
                    ACCUMULATE_PAGE(scores + (r * group + i) * stride + p * PAGE, values, PAGE,                  \
                                    output + rows[r] * output_stride + i * dimension, D, TO_FLOAT);              \
        }                                                                                                        \
        for (int64_t r = 0; r < row_count; r++) {                                                                \
            const int64_t count = counts[rows[r]];                                                               \
            const int64_t pages = (count + PAGE - 1) / PAGE;                                                     \
            for (int64_t p = shared_pages; p < pages; p++) {                                                     \
                const uint16_t *values = PAGE_AT(page_tables[rows[r]][p]) + value_offset;                        \
                const int64_t slots = count - p * PAGE < PAGE ? count - p * PAGE : PAGE;                        \
                PREFETCH_NEXT(prefetch_values, value_offset, value_stride, dimension);                           \
                for (int64_t i = 0; i < group; i++)                                                              \
                    ACCUMULATE_PAGE(scores + (r * group + i) * stride + p * PAGE, values, slots,                 \
                                    output + rows[r] * output_stride + i * dimension, D, TO_FLOAT);              \
            }                                                                                                    \
        }                                                                                                        \
    }

#define PORTABLE_TARGET
DEFINE_ROWS(attention_portable, PORTABLE_TARGET, 0, quorum_half_to_float)

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

/// Heads scored together per pass over a key page (two accumulators each).
#define SCORE_HEADS 8
/// Heads accumulated together per pass over a value page (four accumulators each).
#define VALUE_HEADS 4

/// Scores of H heads (head dimension 64) over one key page, loaded and converted once:
/// per head, even and odd dimensions in two FMA chains, then (even + odd) × scale.
AVX512_INLINE void score_d64(const int H, const float *const *q, float *const *out, const uint16_t *keys, float scale) {
    __m512 a[SCORE_HEADS][2];
    for (int i = 0; i < H; i++) a[i][0] = a[i][1] = _mm512_setzero_ps();
    for (int j = 0; j < 64; j += 2) {
        const __m512 k0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(keys + j * PAGE)));
        const __m512 k1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(keys + (j + 1) * PAGE)));
        for (int i = 0; i < H; i++) {
            a[i][0] = _mm512_fmadd_ps(_mm512_set1_ps(q[i][j]), k0, a[i][0]);
            a[i][1] = _mm512_fmadd_ps(_mm512_set1_ps(q[i][j + 1]), k1, a[i][1]);
        }
    }
    for (int i = 0; i < H; i++) _mm512_storeu_ps(out[i], _mm512_mul_ps(_mm512_add_ps(a[i][0], a[i][1]), _mm512_set1_ps(scale)));
}

/// out[i] += Σ_s w[i][s] · v_s over `slots` positions of one value page, for H heads
/// (head dimension 64); each value vector is loaded and converted once for the H heads.
AVX512_INLINE void accumulate_d64(const int H, const float *const *w, float *const *out, const uint16_t *values,
                                  int64_t value_stride, int64_t slots) {
    __m512 o[VALUE_HEADS][4];
    for (int i = 0; i < H; i++)
        for (int k = 0; k < 4; k++) o[i][k] = _mm512_loadu_ps(out[i] + 16 * k);
    for (int64_t s = 0; s < slots; s++) {
        const __m256i *v = (const __m256i *)(values + s * value_stride);
        const __m512 v0 = _mm512_cvtph_ps(_mm256_loadu_si256(v)), v1 = _mm512_cvtph_ps(_mm256_loadu_si256(v + 1));
        const __m512 v2 = _mm512_cvtph_ps(_mm256_loadu_si256(v + 2)), v3 = _mm512_cvtph_ps(_mm256_loadu_si256(v + 3));
        for (int i = 0; i < H; i++) {
            const __m512 weight = _mm512_set1_ps(w[i][s]);
            o[i][0] = _mm512_fmadd_ps(weight, v0, o[i][0]);
            o[i][1] = _mm512_fmadd_ps(weight, v1, o[i][1]);
            o[i][2] = _mm512_fmadd_ps(weight, v2, o[i][2]);
            o[i][3] = _mm512_fmadd_ps(weight, v3, o[i][3]);
        }
    }
    for (int i = 0; i < H; i++)
        for (int k = 0; k < 4; k++) _mm512_storeu_ps(out[i] + 16 * k, o[i][k]);
}

/// `score_d64` and `accumulate_d64` with H a constant, so the accumulators stay in registers.
__attribute__((target("avx512f,avx512vl,fma"))) static void score_d64_heads(int H, const float *const *q, float *const *out,
                                                                           const uint16_t *keys, float scale) {
    switch (H) {
    case 1: score_d64(1, q, out, keys, scale); break;
    case 2: score_d64(2, q, out, keys, scale); break;
    case 3: score_d64(3, q, out, keys, scale); break;
    case 4: score_d64(4, q, out, keys, scale); break;
    case 5: score_d64(5, q, out, keys, scale); break;
    case 6: score_d64(6, q, out, keys, scale); break;
    case 7: score_d64(7, q, out, keys, scale); break;
    default: score_d64(8, q, out, keys, scale); break;
    }
}

__attribute__((target("avx512f,avx512vl,fma"))) static void accumulate_d64_heads(int H, const float *const *w, float *const *out,
                                                                                const uint16_t *values, int64_t value_stride,
                                                                                int64_t slots) {
    switch (H) {
    case 1: accumulate_d64(1, w, out, values, value_stride, slots); break;
    case 2: accumulate_d64(2, w, out, values, value_stride, slots); break;
    case 3: accumulate_d64(3, w, out, values, value_stride, slots); break;
    default: accumulate_d64(4, w, out, values, value_stride, slots); break;
    }
}

/// Head dimension 64: heads h = r × group + i of the rows, flattened, go through the
/// pages in chunks (SCORE_HEADS for keys, VALUE_HEADS for values), so a shared page is
/// loaded once per chunk of heads from every row; the softmax's 1 / Σ is applied to
/// the output at the end.
__attribute__((target("avx512f,avx512vl,fma,f16c"))) static void attention_avx512_d64(ROWS_PARAMETERS) {
    (void)head_dimension;
    int64_t longest = 0;
    for (int64_t r = 0; r < row_count; r++) longest = counts[rows[r]] > longest ? counts[rows[r]] : longest;
    const int64_t stride = (longest + PAGE - 1) / PAGE * PAGE;
    const int64_t heads = row_count * group;
#define HEAD_QUERY(h) (query + rows[(h) / group] * query_stride + ((h) % group) * 64)
#define HEAD_OUTPUT(h) (output + rows[(h) / group] * output_stride + ((h) % group) * 64)
    const float *q[SCORE_HEADS];
    float *out[SCORE_HEADS];
    const float *w[VALUE_HEADS];
    // Scores: shared pages for all heads, then each row's own pages for its heads.
    for (int64_t p = 0; p < shared_pages; p++) {
        const uint16_t *keys = PAGE_AT(page_tables[rows[0]][p]) + key_offset;
        for (int64_t h0 = 0; h0 < heads; h0 += SCORE_HEADS) {
            const int H = (int)(heads - h0 < SCORE_HEADS ? heads - h0 : SCORE_HEADS);
            for (int i = 0; i < H; i++) {
                q[i] = HEAD_QUERY(h0 + i);
                out[i] = scores + (h0 + i) * stride + p * PAGE;
            }
            score_d64_heads(H, q, out, keys, scale);
        }
    }
    for (int64_t r = 0; r < row_count; r++) {
        const int64_t pages = (counts[rows[r]] + PAGE - 1) / PAGE;
        for (int64_t p = shared_pages; p < pages; p++) {
            const uint16_t *keys = PAGE_AT(page_tables[rows[r]][p]) + key_offset;
            PREFETCH_NEXT(prefetch_keys, key_offset, 64);
            for (int64_t i0 = 0; i0 < group; i0 += SCORE_HEADS) {
                const int H = (int)(group - i0 < SCORE_HEADS ? group - i0 : SCORE_HEADS);
                for (int i = 0; i < H; i++) {
                    q[i] = HEAD_QUERY(r * group + i0 + i);
                    out[i] = scores + (r * group + i0 + i) * stride + p * PAGE;
                }
                score_d64_heads(H, q, out, keys, scale);
            }
        }
    }
    // Softmax per head: exp(s − max) in place, 1 / Σ kept for the end.
    float inverse[heads];
    for (int64_t h = 0; h < heads; h++) {
        const int64_t count = counts[rows[h / group]];
        const int64_t pages = (count + PAGE - 1) / PAGE;
        const int tail = (int)(count - (pages - 1) * PAGE);
        const __mmask16 last = (__mmask16)(tail == 16 ? 0xFFFF : (1u << tail) - 1);
        float *row = scores + h * stride;
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
        inverse[h] = 1.0f / _mm512_reduce_add_ps(sum);
    }
    // Output: Σ_t e_t · v_t in position order (shared pages, then the row's own), × 1 / Σ.
    for (int64_t h = 0; h < heads; h++) memset(HEAD_OUTPUT(h), 0, sizeof(float) * 64);
    for (int64_t p = 0; p < shared_pages; p++) {
        const uint16_t *values = PAGE_AT(page_tables[rows[0]][p]) + value_offset;
        for (int64_t h0 = 0; h0 < heads; h0 += VALUE_HEADS) {
            const int H = (int)(heads - h0 < VALUE_HEADS ? heads - h0 : VALUE_HEADS);
            for (int i = 0; i < H; i++) {
                w[i] = scores + (h0 + i) * stride + p * PAGE;
                out[i] = HEAD_OUTPUT(h0 + i);
            }
            accumulate_d64_heads(H, w, out, values, value_stride, PAGE);
        }
    }
    for (int64_t r = 0; r < row_count; r++) {
        const int64_t count = counts[rows[r]];
        const int64_t pages = (count + PAGE - 1) / PAGE;
        for (int64_t p = shared_pages; p < pages; p++) {
            const uint16_t *values = PAGE_AT(page_tables[rows[r]][p]) + value_offset;
            const int64_t slots = count - p * PAGE < PAGE ? count - p * PAGE : PAGE;
            PREFETCH_NEXT(prefetch_values, value_offset, value_stride, 64);
            for (int64_t i0 = 0; i0 < group; i0 += VALUE_HEADS) {
                const int H = (int)(group - i0 < VALUE_HEADS ? group - i0 : VALUE_HEADS);
                for (int i = 0; i < H; i++) {
                    w[i] = scores + (r * group + i0 + i) * stride + p * PAGE;
                    out[i] = HEAD_OUTPUT(r * group + i0 + i);
                }
                accumulate_d64_heads(H, w, out, values, value_stride, slots);
            }
        }
    }
    for (int64_t h = 0; h < heads; h++) {
        float *o = HEAD_OUTPUT(h);
        const __m512 inv = _mm512_set1_ps(inverse[h]);
        for (int k = 0; k < 4; k++) _mm512_storeu_ps(o + 16 * k, _mm512_mul_ps(_mm512_loadu_ps(o + 16 * k), inv));
    }
#undef HEAD_QUERY
#undef HEAD_OUTPUT
}

#define AVX512_TARGET __attribute__((target("avx512f,avx512vl,fma,f16c")))
#define AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
DEFINE_ROWS(attention_avx512_128, AVX512_TARGET, 128, _cvtsh_ss)
DEFINE_ROWS(attention_avx512, AVX512_TARGET, 0, _cvtsh_ss)
DEFINE_ROWS(attention_avx2_64, AVX2_TARGET, 64, _cvtsh_ss)
DEFINE_ROWS(attention_avx2_128, AVX2_TARGET, 128, _cvtsh_ss)
DEFINE_ROWS(attention_avx2, AVX2_TARGET, 0, _cvtsh_ss)
#endif

void quorum_attention_rows_isa(int32_t isa, ROWS_PARAMETERS) {
    if (row_count <= 0) return;
    const int32_t best = quorum_int8_best_instruction_set();
    isa = isa < 0 ? 0 : isa > best ? best : isa;
#if defined(__x86_64__)
    if (isa >= QUORUM_ISA_AVX512_VNNI) {
        if (head_dimension == 64) return attention_avx512_d64(ROWS_ARGUMENTS);
        if (head_dimension == 128) return attention_avx512_128(ROWS_ARGUMENTS);
        if (head_dimension <= 256) return attention_avx512(ROWS_ARGUMENTS);
    } else if (isa >= QUORUM_ISA_AVX2) {
        if (head_dimension == 64) return attention_avx2_64(ROWS_ARGUMENTS);
        if (head_dimension == 128) return attention_avx2_128(ROWS_ARGUMENTS);
        if (head_dimension <= 256) return attention_avx2(ROWS_ARGUMENTS);
    }
#endif
    (void)isa;
    attention_portable(ROWS_ARGUMENTS);
}

void quorum_attention_rows(ROWS_PARAMETERS) {
    quorum_attention_rows_isa(quorum_int8_instruction_set(), ROWS_ARGUMENTS);
}

void quorum_attention(const float *query, int64_t group, int64_t head_dimension, float scale,
                      const uint16_t *const *slabs, int64_t pages_per_slab, int64_t page_elements,
                      const int32_t *page_table, int64_t key_offset, int64_t value_offset, int64_t value_stride,
                      int64_t count, float *scores, float *output) {
    const int32_t row = 0;
    quorum_attention_rows(1, &row, query, 0, output, 0, group, head_dimension, scale, slabs, pages_per_slab,
                          page_elements, &page_table, &count, 0, key_offset, value_offset, value_stride, scores);
}
