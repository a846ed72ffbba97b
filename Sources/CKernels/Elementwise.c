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
