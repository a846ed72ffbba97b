// Kernels: SIMD matrix products over quantised weights, norms, RoPE, softmax, and the worker pool.
