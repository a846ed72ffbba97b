// e^x as plain float code that vectorises (shared by the C kernels).
#ifndef QUORUM_EXPONENTIAL_H
#define QUORUM_EXPONENTIAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/// e^x, branch-free so loops over it vectorise: Cody-Waite range reduction and a
/// degree-6 polynomial (relative error about 2e-7, as Cephes' expf); x is clamped to
/// [-87, 88], so the result stays finite and normal.
static inline __attribute__((always_inline)) float quorum_exp(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    const float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = fmaf(n, -0.693359375f, x);
    r = fmaf(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = fmaf(p, r, 1.3981999507e-3f);
    p = fmaf(p, r, 8.3334519073e-3f);
    p = fmaf(p, r, 4.1665795894e-2f);
    p = fmaf(p, r, 1.6666665459e-1f);
    p = fmaf(p, r, 5.0000001201e-1f);
    p = fmaf(p, r * r, r);
    p += 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float two_n;
    memcpy(&two_n, &bits, 4);
    return p * two_n;
}

#endif
