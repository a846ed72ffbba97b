// Float32 matrix products of the training engine (see CTrainingKernels.h for the two
// shapes). Arithmetic order, the same on every tile shape so that tiling never changes
// a result:
//   NT, AVX-512: per output, a 16-lane accumulator takes fma(a[k..k+15], b[k..k+15]) for
//       k = 0, 16, 32, ... in order (the last chunk masked), then one fixed-tree
//       horizontal sum (_mm512_reduce_add_ps).
//   NN, AVX-512: per output, a chain fma(a[m][k], b[k][n], acc) for k = 0, 1, 2, ... in order.
//   Portable: plain loops, k in order (a different order from AVX-512: each instruction
//   set is deterministic on its own).
// Then C = acc, or C = C + acc when accumulating.
#include "CTrainingKernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

int32_t quorum_train_best_isa(void) {
#if HAVE_X86
    static int32_t cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") ? QUORUM_TRAIN_ISA_AVX512 : QUORUM_TRAIN_ISA_PORTABLE;
    }
    return cached;
#else
    return QUORUM_TRAIN_ISA_PORTABLE;
#endif
}

// ---------------------------------------------------------------------------------------
// Portable C.

static void gemm_nt_portable(int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                             float *c, int64_t ldc, int32_t accumulate,
                             int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    for (int64_t m = m0; m < m1; m++) {
        const float *ar = a + m * lda;
        for (int64_t n = n0; n < n1; n++) {
            const float *br = b + n * ldb;
            float sum = 0;
            for (int64_t k = 0; k < K; k++) sum += ar[k] * br[k];
            c[m * ldc + n] = accumulate ? c[m * ldc + n] + sum : sum;
        }
    }
}

static void gemm_nn_portable(int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                             float *c, int64_t ldc, int32_t accumulate,
                             int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    enum { STRIP = 64 };
    float sums[STRIP];
    for (int64_t m = m0; m < m1; m++) {
        const float *ar = a + m * lda;
        for (int64_t s = n0; s < n1; s += STRIP) {
            int64_t width = n1 - s < STRIP ? n1 - s : STRIP;
            memset(sums, 0, sizeof sums);
            for (int64_t k = 0; k < K; k++) {
                float x = ar[k];
                const float *br = b + k * ldb + s;
                for (int64_t j = 0; j < width; j++) sums[j] += x * br[j];
            }
            float *cr = c + m * ldc + s;
            for (int64_t j = 0; j < width; j++) cr[j] = accumulate ? cr[j] + sums[j] : sums[j];
        }
    }
}

// ---------------------------------------------------------------------------------------
// AVX-512.

#if HAVE_X86
#define AVX512 __attribute__((target("avx512f,fma")))

static inline AVX512 __mmask16 tail_mask(int64_t remaining) {
    return remaining >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << remaining) - 1u);
}

static inline AVX512 void store_result(float *c, float value, int32_t accumulate) {
    *c = accumulate ? *c + value : value;
}

/// One output of NT: the reference order that the 4x4 tile reproduces lane for lane.
static AVX512 float dot_nt(int64_t K, const float *a, const float *b) {
    __m512 acc = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k += 16) {
        __mmask16 mask = tail_mask(K - k);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + k), _mm512_maskz_loadu_ps(mask, b + k), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

/// A 4 × 4 block of NT outputs: 16 accumulators, each A and B chunk loaded once.
static AVX512 void block_nt_4x4(int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                                float *c, int64_t ldc, int32_t accumulate) {
    __m512 acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k += 16) {
        __mmask16 mask = tail_mask(K - k);
        __m512 av[4], bv[4];
        for (int i = 0; i < 4; i++) av[i] = _mm512_maskz_loadu_ps(mask, a + i * lda + k);
        for (int j = 0; j < 4; j++) bv[j] = _mm512_maskz_loadu_ps(mask, b + j * ldb + k);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) acc[i][j] = _mm512_fmadd_ps(av[i], bv[j], acc[i][j]);
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) store_result(c + i * ldc + j, _mm512_reduce_add_ps(acc[i][j]), accumulate);
}

static AVX512 void gemm_nt_avx512(int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                                  float *c, int64_t ldc, int32_t accumulate,
                                  int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    // Blocks of 64 B rows keep their chunk in L2 while every A row passes over them.
    enum { N_BLOCK = 64 };
    for (int64_t nb = n0; nb < n1; nb += N_BLOCK) {
        int64_t ne = nb + N_BLOCK < n1 ? nb + N_BLOCK : n1;
        int64_t m = m0;
        for (; m + 4 <= m1; m += 4) {
            int64_t n = nb;
            for (; n + 4 <= ne; n += 4)
                block_nt_4x4(K, a + m * lda, lda, b + n * ldb, ldb, c + m * ldc + n, ldc, accumulate);
            for (; n < ne; n++)
                for (int i = 0; i < 4; i++)
                    store_result(c + (m + i) * ldc + n, dot_nt(K, a + (m + i) * lda, b + n * ldb), accumulate);
        }
        for (; m < m1; m++)
            for (int64_t n = nb; n < ne; n++)
                store_result(c + m * ldc + n, dot_nt(K, a + m * lda, b + n * ldb), accumulate);
    }
}

/// NN for `rows` (1...8) rows of A and 32 columns (masked at the edge): per output a
/// chain of fmas over k in order, whatever `rows` is.
static inline __attribute__((always_inline)) AVX512 void block_nn(int rows, int64_t K, const float *a, int64_t lda,
                                                                  const float *b, int64_t ldb, float *c, int64_t ldc,
                                                                  int32_t accumulate, int64_t width) {
    __m512 acc[8][2];
    for (int i = 0; i < 8; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    __mmask16 mask0 = tail_mask(width), mask1 = width > 16 ? tail_mask(width - 16) : 0;
    for (int64_t k = 0; k < K; k++) {
        __m512 b0 = _mm512_maskz_loadu_ps(mask0, b + k * ldb);
        __m512 b1 = _mm512_maskz_loadu_ps(mask1, b + k * ldb + 16);
        for (int i = 0; i < rows; i++) {
            __m512 x = _mm512_set1_ps(a[i * lda + k]);
            acc[i][0] = _mm512_fmadd_ps(x, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(x, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < rows; i++) {
        float *cr = c + i * ldc;
        if (accumulate) {
            acc[i][0] = _mm512_add_ps(_mm512_maskz_loadu_ps(mask0, cr), acc[i][0]);
            acc[i][1] = _mm512_add_ps(_mm512_maskz_loadu_ps(mask1, cr + 16), acc[i][1]);
        }
        _mm512_mask_storeu_ps(cr, mask0, acc[i][0]);
        _mm512_mask_storeu_ps(cr + 16, mask1, acc[i][1]);
    }
}

static AVX512 void block_nn_8(int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                              float *c, int64_t ldc, int32_t accumulate, int64_t width) {
    block_nn(8, K, a, lda, b, ldb, c, ldc, accumulate, width);
}

static AVX512 void block_nn_1(int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                              float *c, int64_t ldc, int32_t accumulate, int64_t width) {
    block_nn(1, K, a, lda, b, ldb, c, ldc, accumulate, width);
}

/// A thread's buffer for one packed panel of B (`K × 32` floats, contiguous), kept between calls.
static float *packed_panel(int64_t count) {
    static __thread float *buffer = NULL;
    static __thread int64_t capacity = 0;
    if (count > capacity) {
        free(buffer);
        buffer = aligned_alloc(64, (size_t)((count + 15) / 16 * 16) * sizeof(float));
        capacity = count;
    }
    return buffer;
}

static AVX512 void gemm_nn_avx512(int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                                  float *c, int64_t ldc, int32_t accumulate,
                                  int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    // Each 32-column panel of B is first copied into contiguous rows of 32, so the kernel
    // streams it sequentially for every block of A's rows (B's own rows are ldb apart, a
    // stride the prefetcher follows poorly): +25% measured on 256 x 1536 x 576. Copying
    // does not change any output's arithmetic.
    float *panel = packed_panel(K * 32);
    for (int64_t n = n0; n < n1; n += 32) {
        int64_t width = n1 - n < 32 ? n1 - n : 32;
        __mmask16 mask0 = tail_mask(width), mask1 = width > 16 ? tail_mask(width - 16) : 0;
        for (int64_t k = 0; k < K; k++) {
            _mm512_store_ps(panel + k * 32, _mm512_maskz_loadu_ps(mask0, b + k * ldb + n));
            _mm512_store_ps(panel + k * 32 + 16, _mm512_maskz_loadu_ps(mask1, b + k * ldb + n + 16));
        }
        int64_t m = m0;
        for (; m + 8 <= m1; m += 8)
            block_nn_8(K, a + m * lda, lda, panel, 32, c + m * ldc + n, ldc, accumulate, width);
        for (; m < m1; m++)
            block_nn_1(K, a + m * lda, lda, panel, 32, c + m * ldc + n, ldc, accumulate, width);
    }
}
#endif

// ---------------------------------------------------------------------------------------
// Entry points.

void quorum_train_gemm_nt(int32_t isa, int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                          float *c, int64_t ldc, int32_t accumulate,
                          int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
#if HAVE_X86
    if (isa == QUORUM_TRAIN_ISA_AVX512) { gemm_nt_avx512(K, a, lda, b, ldb, c, ldc, accumulate, m0, m1, n0, n1); return; }
#endif
    gemm_nt_portable(K, a, lda, b, ldb, c, ldc, accumulate, m0, m1, n0, n1);
}

void quorum_train_gemm_nn(int32_t isa, int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                          float *c, int64_t ldc, int32_t accumulate,
                          int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
#if HAVE_X86
    if (isa == QUORUM_TRAIN_ISA_AVX512) { gemm_nn_avx512(K, a, lda, b, ldb, c, ldc, accumulate, m0, m1, n0, n1); return; }
#endif
    gemm_nn_portable(K, a, lda, b, ldb, c, ldc, accumulate, m0, m1, n0, n1);
}

void quorum_train_transpose(const float *source, int64_t source_stride, int64_t columns,
                            int64_t row_begin, int64_t row_end, float *destination, int64_t destination_stride) {
    // Blocks of 16 × 16 keep both sides' lines in L1.
    for (int64_t r0 = row_begin; r0 < row_end; r0 += 16) {
        int64_t r1 = r0 + 16 < row_end ? r0 + 16 : row_end;
        for (int64_t c0 = 0; c0 < columns; c0 += 16) {
            int64_t c1 = c0 + 16 < columns ? c0 + 16 : columns;
            for (int64_t r = r0; r < r1; r++)
                for (int64_t col = c0; col < c1; col++)
                    destination[col * destination_stride + r] = source[r * source_stride + col];
        }
    }
}
