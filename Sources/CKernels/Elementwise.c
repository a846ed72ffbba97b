// Element-wise kernels of the forward pass, compiled for AVX-512, AVX2 and portable
// code like Attention.c (same float operations per element on every path).
#include "CKernels.h"
#include "Exponential.h"

#define SWIGLU_BODY                                                         \
    for (int64_t i = 0; i < count; i++) {                                   \
        const float g = gate[i];                                            \
        gate[i] = g / (1.0f + quorum_exp(-g)) * up[i];                      \
    }

static void swiglu_portable(float *gate, const float *up, int64_t count) { SWIGLU_BODY }
#if defined(__x86_64__)
__attribute__((target("avx512f,avx512vl,fma"))) static void swiglu_avx512(float *gate, const float *up, int64_t count) { SWIGLU_BODY }
__attribute__((target("avx2,fma"))) static void swiglu_avx2(float *gate, const float *up, int64_t count) { SWIGLU_BODY }
#endif

void quorum_swiglu(float *gate, const float *up, int64_t count) {
#if defined(__x86_64__)
    const int32_t isa = quorum_int8_instruction_set();
    if (isa >= QUORUM_ISA_AVX512_VNNI) return swiglu_avx512(gate, up, count);
    if (isa >= QUORUM_ISA_AVX2) return swiglu_avx2(gate, up, count);
#endif
    swiglu_portable(gate, up, count);
}

/* RMSNorm: the sum of squares in double over 8 fixed lanes (element i into lane i % 8,
   lanes added in order at the end), so it vectorises without reassociation. */
#define RMSNORM_BODY                                                                \
    double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                     \
    int64_t i = 0;                                                                  \
    for (; i + 8 <= count; i += 8)                                                  \
        for (int l = 0; l < 8; l++) lanes[l] += (double)input[i + l] * (double)input[i + l]; \
    for (int l = 0; i + l < count; l++) lanes[l] += (double)input[i + l] * (double)input[i + l]; \
    double sum = 0;                                                                 \
    for (int l = 0; l < 8; l++) sum += lanes[l];                                    \
    const float scale = (float)(1.0 / sqrt(sum / (double)count + (double)epsilon)); \
    for (int64_t j = 0; j < count; j++) output[j] = input[j] * scale * weight[j];

static void rmsnorm_portable(const float *input, const float *weight, float epsilon, float *output, int64_t count) { RMSNORM_BODY }
#if defined(__x86_64__)
__attribute__((target("avx512f,avx512vl,fma"))) static void rmsnorm_avx512(const float *input, const float *weight, float epsilon, float *output, int64_t count) { RMSNORM_BODY }
__attribute__((target("avx2,fma"))) static void rmsnorm_avx2(const float *input, const float *weight, float epsilon, float *output, int64_t count) { RMSNORM_BODY }
#endif

void quorum_rmsnorm(const float *input, const float *weight, float epsilon, float *output, int64_t count) {
#if defined(__x86_64__)
    const int32_t isa = quorum_int8_instruction_set();
    if (isa >= QUORUM_ISA_AVX512_VNNI) return rmsnorm_avx512(input, weight, epsilon, output, count);
    if (isa >= QUORUM_ISA_AVX2) return rmsnorm_avx2(input, weight, epsilon, output, count);
#endif
    rmsnorm_portable(input, weight, epsilon, output, count);
}
