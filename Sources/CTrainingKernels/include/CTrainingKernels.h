// Float32 matrix products of the training engine, in C for the same reason as the
// engine's int8 kernels (CKernels): Swift targets compile for a haswell baseline and
// have no per-function target attribute, so the AVX-512 variants live here, picked
// once at run time with `__builtin_cpu_supports`.
//
// Every product is expressed with two shapes (row-major throughout):
//   NT: C[m][n] (+)= Σ_k A[m][k] · B[n][k]     y = x·Wᵀ (forward), scores = q·kᵀ
//   NN: C[m][n] (+)= Σ_k A[m][k] · B[k][n]     dx = dy·W, dW = dyᵀ·x (with dyᵀ copied)
// Each call computes the tile [m_begin, m_end) × [n_begin, n_end) on the calling thread;
// the Swift side (Training's `Matmul`) spreads tiles over the WorkerPool. Each output
// element is computed by one call in a fixed order of k, so results do not depend on
// the thread count or the tiling: training resumes bit for bit.
#ifndef QUORUM_CTRAINING_KERNELS_H
#define QUORUM_CTRAINING_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction sets of the training kernels.
enum {
    QUORUM_TRAIN_ISA_PORTABLE = 0,
    QUORUM_TRAIN_ISA_AVX512 = 1,
};

/// The best instruction set this CPU runs (AVX-512 F, else portable C).
int32_t quorum_train_best_isa(void);

/// NT product over the tile; `accumulate` adds to C instead of overwriting it.
void quorum_train_gemm_nt(int32_t isa, int64_t k_count,
                          const float *a, int64_t lda, const float *b, int64_t ldb,
                          float *c, int64_t ldc, int32_t accumulate,
                          int64_t m_begin, int64_t m_end, int64_t n_begin, int64_t n_end);

/// NN product over the tile; `accumulate` adds to C instead of overwriting it.
void quorum_train_gemm_nn(int32_t isa, int64_t k_count,
                          const float *a, int64_t lda, const float *b, int64_t ldb,
                          float *c, int64_t ldc, int32_t accumulate,
                          int64_t m_begin, int64_t m_end, int64_t n_begin, int64_t n_end);

/// Writes the transpose of rows [row_begin, row_end) of `source` (`rows × columns`,
/// `source_stride` apart) into `destination` (`columns × rows`, `destination_stride` apart).
void quorum_train_transpose(const float *source, int64_t source_stride, int64_t columns,
                            int64_t row_begin, int64_t row_end,
                            float *destination, int64_t destination_stride);

#ifdef __cplusplus
}
#endif

#endif
