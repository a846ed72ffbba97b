// Int8 matrix kernels of the embedded engine, in C because they need per-function
// instruction sets: the Swift targets compile for a haswell (AVX2) baseline, and Swift
// has no per-function target attribute, so an AVX-512 VNNI kernel cannot live there.
// Here each kernel carries `__attribute__((target(...)))` and `quorum_int8_*` picks
// one once at run time with `__builtin_cpu_supports`. docs/ARCHITECTURE.md
// ("Kernels") describes the data layout and the arithmetic order.
#ifndef QUORUM_CKERNELS_H
#define QUORUM_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Weight formats the int8 kernels take: ggml's `block_q4_0`, `block_q4_1`, `block_q8_0`,
/// and the k-quant super-blocks `block_q4_K`, `block_q6_K` (256 columns each, packed per
/// (group, super-block): see KQuantKernels.c).
enum {
    QUORUM_PACKED_Q4_0 = 0,
    QUORUM_PACKED_Q4_1 = 1,
    QUORUM_PACKED_Q8_0 = 2,
    QUORUM_PACKED_Q4_K = 3,
    QUORUM_PACKED_Q6_K = 4,
};

/// Instruction sets of the int8 matrix kernel, in order of preference.
enum {
    QUORUM_ISA_PORTABLE = 0,
    QUORUM_ISA_AVX2 = 1,
    QUORUM_ISA_AVX512_VNNI = 2,
};

/// Weight rows interleaved in one packed group.
#define QUORUM_PACK_ROWS 16

/// Bytes of one packed (group of 16 rows, block of 32 columns): the quants, then 16
/// f16 scales, then (q4_1) 16 f16 minimums. For the k-quants: the bytes of one
/// (group, super-block of 256 columns).
size_t quorum_packed_block_bytes(int32_t kind);

/// Bytes of a whole packed `[rows × columns]` matrix (rows padded to a multiple of 16).
size_t quorum_packed_size(int32_t kind, int64_t rows, int64_t columns);

/// Repacks groups `[group_begin, group_end)` of a ggml matrix (`rows` rows of
/// `source_row_bytes` bytes) into `destination` (the start of the whole packed matrix,
/// `quorum_packed_size` bytes). Padding rows are written as zeros.
void quorum_pack_groups(int32_t kind, const void *source, size_t source_row_bytes, int64_t rows, int64_t columns,
                        int64_t group_begin, int64_t group_end, void *destination);

/// Quantises `rows` activation rows (`columns` floats each, `input_stride` apart) per
/// 32-value block to int8 as ggml's `quantize_row_q8_1` does: `d = max|x| / 127`,
/// `q = round_to_nearest_even(x / d)`. Writes `quants[rows × columns]`, and per
/// (row, block) `scales` (d), `sums` (d × Σq), `quant_sums` (Σq) and `half_sums` (Σq
/// over the block's first 16 values, for q6_K's 16-value sub-blocks).
void quorum_quantize_rows(const float *input, int64_t input_stride, int64_t rows, int64_t columns,
                          int8_t *quants, float *scales, float *sums, int32_t *quant_sums, int32_t *half_sums);

/// `output[b × output_stride + r] = Σ_c W[r, c] · A[b, c] (+ bias[r])` for the rows
/// of groups `[group_begin, group_end)` and every activation row b < batch, from a
/// packed matrix and quantised activations. Per (weight row, activation row) the
/// result is the same whatever the batch, the group range and the instruction set.
void quorum_int8_multiply(int32_t kind, const void *packed, int64_t rows, int64_t columns,
                          int64_t group_begin, int64_t group_end,
                          const int8_t *quants, const float *scales, const float *sums, const int32_t *quant_sums,
                          const int32_t *half_sums, int64_t batch, float *output, int64_t output_stride, const float *bias);

/// The instruction set the kernels use: the best this CPU supports.
int32_t quorum_int8_instruction_set(void);

/// The best instruction set this CPU supports.
int32_t quorum_int8_best_instruction_set(void);

/// `quorum_quantize_rows` and `quorum_int8_multiply` on a given instruction set
/// (clamped to what the CPU supports), for tests that compare the paths.
void quorum_quantize_rows_isa(int32_t isa, const float *input, int64_t input_stride, int64_t rows, int64_t columns,
                              int8_t *quants, float *scales, float *sums, int32_t *quant_sums, int32_t *half_sums);
void quorum_int8_multiply_isa(int32_t isa, int32_t kind, const void *packed, int64_t rows, int64_t columns,
                              int64_t group_begin, int64_t group_end,
                              const int8_t *quants, const float *scales, const float *sums, const int32_t *quant_sums,
                              const int32_t *half_sums, int64_t batch, float *output, int64_t output_stride,
                              const float *bias);

/// The k-quant kernels (KQuantKernels.c), called by the `quorum_*` functions above for
/// QUORUM_PACKED_Q4_K and QUORUM_PACKED_Q6_K.
size_t quorum_kquant_superblock_bytes(int32_t kind);
void quorum_kquant_pack_groups(int32_t kind, const void *source, size_t source_row_bytes, int64_t rows,
                               int64_t columns, int64_t group_begin, int64_t group_end, void *destination);
void quorum_kquant_multiply(int32_t isa, int32_t kind, const void *packed, int64_t rows, int64_t columns,
                            int64_t group_begin, int64_t group_end, const int8_t *quants, const float *scales,
                            const float *sums, const int32_t *quant_sums, const int32_t *half_sums, int64_t batch,
                            float *output, int64_t output_stride, const float *bias);

/// Causal attention of one sequence position for the `group` query heads that share
/// one KV head (grouped-query attention), over `count` cached positions held in KV
/// pages of 16 positions.
///
/// Keys and values are f16 (IEEE half) bit patterns.
///
/// - query: `group × head_dimension` floats (the group's heads, consecutive).
/// - page_table: the sequence's page ids; page p starts at
///   `slabs[p / pages_per_slab] + (p % pages_per_slab) × page_elements`.
/// - key_offset: elements from a page's start to this layer's keys of this KV head; keys
///   are stored transposed, element j of slot s at `key_offset + j × 16 + s`.
/// - value_offset: elements from a page's start to slot 0's values of this KV head;
///   slot s at `value_offset + s × value_stride`.
/// - scores: scratch of `group × round_up(count, 16)` floats.
/// - output: `group × head_dimension` floats, softmax(q·K × scale) · V per head.
///
/// The same kernel as `quorum_attention_rows` with one row and no shared pages.
void quorum_attention(const float *query, int64_t group, int64_t head_dimension, float scale,
                      const uint16_t *const *slabs, int64_t pages_per_slab, int64_t page_elements,
                      const int32_t *page_table, int64_t key_offset, int64_t value_offset, int64_t value_stride,
                      int64_t count, float *scores, float *output);

/// Causal attention of several batch rows for the `group` query heads that share one KV
/// head, over KV pages of 16 positions; rows whose page tables begin with the same
/// `shared_pages` pages score and weigh those pages together (each page read once).
///
/// Batch row b = rows[r] (r < row_count):
/// - its queries: `query + b × query_stride`, `group × head_dimension` floats;
/// - its output: `output + b × output_stride`, `group × head_dimension` floats,
///   softmax(q·K × scale) · V per head;
/// - its page ids `page_tables[b]` and position count `counts[b]` (causal: positions
///   0..<count). Page p starts at `slabs[p / pages_per_slab] + (p % pages_per_slab) × page_elements`.
/// - shared_pages: pages 0..<shared_pages are the same ids in every row's table and
///   full for every row (shared_pages × 16 ≤ counts[b]); 0 scores every row on its own.
/// - key_offset: elements from a page's start to this layer's keys of this KV head; keys
///   are stored transposed, element j of slot s at `key_offset + j × 16 + s`.
/// - value_offset: elements from a page's start to slot 0's values of this KV head;
///   slot s at `value_offset + s × value_stride`.
/// - scores: scratch of `row_count × group × round_up(max count, 16)` floats.
///
/// Each row's output is bit for bit the same whatever the other rows and
/// `shared_pages` (the same float operations in the same order per head), so a
/// sequence's result does not depend on its batch.
void quorum_attention_rows(int64_t row_count, const int32_t *rows, const float *query, int64_t query_stride,
                           float *output, int64_t output_stride, int64_t group, int64_t head_dimension, float scale,
                           const uint16_t *const *slabs, int64_t pages_per_slab, int64_t page_elements,
                           const int32_t *const *page_tables, const int64_t *counts, int64_t shared_pages,
                           int64_t key_offset, int64_t value_offset, int64_t value_stride, float *scores);

/// `quorum_attention_rows` on a given instruction set (clamped to what the CPU
/// supports), for tests that compare the paths.
void quorum_attention_rows_isa(int32_t isa, int64_t row_count, const int32_t *rows, const float *query,
                               int64_t query_stride, float *output, int64_t output_stride, int64_t group,
                               int64_t head_dimension, float scale, const uint16_t *const *slabs,
                               int64_t pages_per_slab, int64_t page_elements, const int32_t *const *page_tables,
                               const int64_t *counts, int64_t shared_pages, int64_t key_offset, int64_t value_offset,
                               int64_t value_stride, float *scores);

/// SwiGLU's activation in place: `gate[i] = silu(gate[i]) × up[i]`, silu(x) = x / (1 + e^-x).
void quorum_swiglu(float *gate, const float *up, int64_t count);

/// RMSNorm: `output[i] = input[i] × (1 / sqrt(mean(input²) + epsilon)) × weight[i]`,
/// the mean of squares in double. `output` may equal `input`.
void quorum_rmsnorm(const float *input, const float *weight, float epsilon, float *output, int64_t count);

/// Positions per KV page that `quorum_attention` requires.
#define QUORUM_ATTENTION_PAGE 16

#ifdef __cplusplus
}
#endif

#endif
