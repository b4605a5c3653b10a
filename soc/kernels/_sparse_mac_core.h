/* Sparse multiply-accumulate core in C, called by _sparse_mac.pyx (see its docstring for
 * the formats and the fixed-point arithmetic).
 *
 * Masks arrive bit-packed: bit b of word w of a row is position 64*w + b (little-endian
 * packing); bits past N_in are zero. Work is split over output groups: each group's
 * compressed weight block (group size x nnz_g int16) is read for all input rows while
 * it is in cache, and each group writes only its own outputs and counts, so the result
 * does not depend on the number of threads or the schedule (integer sums).
 *
 * The hot loops exist twice: an AVX2 + POPCNT + BMI version chosen at run time when the
 * CPU has them (__builtin_cpu_supports), and a baseline version for any other CPU.
 * OpenMP is used when the extension is compiled with -fopenmp; otherwise it runs in one
 * thread with the same result. */
#ifndef SPARSE_MAC_CORE_H
#define SPARSE_MAC_CORE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define SM_HAVE_X86 1
#else
#define SM_HAVE_X86 0
#endif

/* Take the dense-in-group path when the selected positions are at least 1/SM_GATHER_RATIO
 * of the group's stored weights. Measured with AVX2 (169 rows, groups of 16 outputs,
 * N_in 2304 at 35 % and 9216 at 10 % synapse density): the dense-in-group path was as
 * fast or faster down to about 5 % input density, the gather path only below it. */
#define SM_GATHER_RATIO 20

/* Rough operation count (P*N_out*64 + P*G*W) below which one thread is used: a smaller
 * call does not pay for waking a second thread. */
#define SM_PARALLEL_MIN_WORK 200000

typedef struct {
    int64_t P, n_in, W, G, n_out;
    const uint64_t *nmask;     /* P x W packed neuron masks */
    const uint64_t *smask;     /* G x W packed synapse masks */
    const int32_t *spos;       /* synapse positions (set bits) of all groups, concatenated */
    const int64_t *spos_off;   /* G+1 starts into spos; nnz_g = spos_off[g+1]-spos_off[g] */
    const int16_t *xdense;     /* P x 64W neurons, zeros where not stored or past N_in */
    const int64_t *gstarts;    /* G+1 first output of each group */
    const int16_t *weights;
    const int64_t *woff;       /* G starts of each group's weight block */
    int frac_bits;
    int16_t *out;              /* P x n_out rounded, saturated outputs (unless raw) */
    int64_t *raw;              /* P x n_out exact sums instead of out, or NULL */
    int accumulate;            /* raw mode: add the sums into raw instead of storing them */
    int32_t *sel;              /* P x G */
} sm_args;

/* Round half up (add 2^(f-1), arithmetic shift right by f) and saturate to int16. */
static inline int16_t sm_round_saturate(int64_t acc, int64_t half, int frac_bits)
{
    int64_t r = (acc + half) >> frac_bits;
    if (r > 32767) return 32767;
    if (r < -32768) return -32768;
    return (int16_t)r;
}

/* Store one output: the exact sum (raw mode) or its rounded, saturated int16 value. */
static inline void sm_put(const sm_args *a, int64_t p, int64_t col, int64_t acc, int64_t half)
{
    if (a->raw) {
        if (a->accumulate)
            a->raw[p * a->n_out + col] += acc;
        else
            a->raw[p * a->n_out + col] = acc;
    }
    else
        a->out[p * a->n_out + col] = sm_round_saturate(acc, half, a->frac_bits);
}

/* Exact int16 dot product, portable C (the compiler may vectorize it). */
static inline int64_t sm_dot_scalar(const int16_t *w, const int16_t *x, int64_t n)
{
    int64_t acc = 0;
    for (int64_t k = 0; k < n; k++)
        acc += (int64_t)((int32_t)w[k] * (int32_t)x[k]);
    return acc;
}

/* Compact the neurons at the set positions of a packed synapse mask into dst (the
 * neuron's value, 0 where not stored), in position order. Portable C. */
static inline void sm_compact_scalar(const int16_t *xrow, const uint64_t *sm, int64_t W,
                                     const int32_t *pos, int64_t nnz, int16_t *dst)
{
    (void)sm;
    (void)W;
    for (int64_t j = 0; j < nnz; j++)
        dst[j] = xrow[pos[j]];
}

/* Exact int16 dot product in portable C that compilers vectorize (e.g. SSE2 pmaddwd):
 * the neuron is split into bytes (x = 256 * xhi + xlo, xlo in [0, 255], xhi in
 * [-128, 127]) and both halves are summed in int32 over chunks of SM_PORTABLE_CHUNK
 * positions. Every partial sum of a chunk is below 256 * 32768 * 255 < 2^31 in
 * magnitude, whatever order the compiler adds in, so the int32 sums are exact. */
#define SM_PORTABLE_CHUNK 256

static inline int64_t sm_dot_split(const int16_t *w, const int16_t *x, int64_t n)
{
    int64_t acc = 0;
    for (int64_t k0 = 0; k0 < n; k0 += SM_PORTABLE_CHUNK) {
        const int64_t k1 = n - k0 < SM_PORTABLE_CHUNK ? n : k0 + SM_PORTABLE_CHUNK;
        int32_t lo = 0, hi = 0;
        for (int64_t k = k0; k < k1; k++) {
            lo += (int32_t)w[k] * (int32_t)(int16_t)(x[k] & 255);
            hi += (int32_t)w[k] * (int32_t)(int16_t)(x[k] >> 8);
        }
        acc += 256 * (int64_t)hi + lo;
    }
    return acc;
}

/* Exact int16 dot products of `nout` consecutive weight rows (row stride `stride`) with one
 * neuron vector, portable C. */
static inline void sm_dots_scalar(const int16_t *w, int64_t stride, int64_t nout,
                                  const int16_t *x, int64_t n, int64_t *acc)
{
    for (int64_t o = 0; o < nout; o++)
        acc[o] = sm_dot_split(w + o * stride, x, n);
}

#if SM_HAVE_X86
/* Exact int16 dot products with AVX2, four weight rows at a time sharing the neuron loads.
 * vpmaddwd multiplies 16-bit pairs and adds adjacent products into int32 lanes. With the
 * neuron split into bytes (xlo = x & 255 in [0, 255], xhi = x >> 8 in [-128, 127],
 * x = 256 * xhi + xlo), |w * xlo| <= 32768 * 255 and |w * xhi| <= 32768 * 128, so a
 * lane grows by less than 2^24 per step and 64 steps stay below 2^30: the int32 lanes
 * are exact and are widened to int64 every 64 steps (1024 positions). The result
 * 256 * sum(w*xhi) + sum(w*xlo) equals sum(w*x) exactly. The tail (< 16 positions) is
 * summed in scalar code. */
#define SM_CHUNK_STEPS 64

/* pshufb controls that move the 16-bit lanes selected by an 8-bit mask to the front. */
static uint8_t sm_compact_table[256][16];

static void sm_init_tables(void)
{
    for (int m = 0; m < 256; m++) {
        int n = 0;
        for (int b = 0; b < 8; b++)
            if (m & (1 << b)) {
                sm_compact_table[m][2 * n] = (uint8_t)(2 * b);
                sm_compact_table[m][2 * n + 1] = (uint8_t)(2 * b + 1);
                n++;
            }
        for (; n < 8; n++)
            sm_compact_table[m][2 * n] = sm_compact_table[m][2 * n + 1] = 0x80;
    }
}

/* AVX2 version of sm_compact_scalar: 8 positions per step with a pshufb table; zero mask
 * words are skipped. Writes up to 8 lanes past dst[nnz] (scratch slack). */
__attribute__((target("avx2,popcnt")))
static inline void sm_compact_avx2(const int16_t *xrow, const uint64_t *sm, int64_t W,
                                   const int32_t *pos, int64_t nnz, int16_t *dst)
{
    (void)pos;
    (void)nnz;
    for (int64_t w = 0; w < W; w++) {
        const uint64_t bits = sm[w];
        if (!bits)
            continue;
        const int16_t *src = xrow + 64 * w;
        for (int byte = 0; byte < 8; byte++) {  /* no branch per byte: short dependency chain */
            const unsigned m = (unsigned)(bits >> (8 * byte)) & 255u;
            __m128i v = _mm_loadu_si128((const __m128i *)(src + 8 * byte));
            __m128i c = _mm_loadu_si128((const __m128i *)sm_compact_table[m]);
            _mm_storeu_si128((__m128i *)dst, _mm_shuffle_epi8(v, c));
            dst += __builtin_popcount(m);
        }
    }
}

__attribute__((target("avx2")))
static inline int64_t sm_hsum_epi32_to_i64(__m256i v)
{
    __m256i lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v));
    __m256i hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1));
    __m256i s = _mm256_add_epi64(lo, hi);
    int64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, s);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

__attribute__((target("avx2")))
static inline void sm_dots_avx2(const int16_t *w, int64_t stride, int64_t nout,
                                const int16_t *x, int64_t n, int64_t *acc)
{
    const __m256i lowbyte = _mm256_set1_epi16(255);
    const int64_t nvec = n / 16 * 16;
    int64_t o = 0;
    for (; o + 4 <= nout; o += 4) {
        const int16_t *w0 = w + o * stride, *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        int64_t s[4] = {0, 0, 0, 0};
        int64_t k = 0;
        while (k < nvec) {
            int64_t kend = k + SM_CHUNK_STEPS * 16;
            if (kend > nvec)
                kend = nvec;
            __m256i l0 = _mm256_setzero_si256(), l1 = l0, l2 = l0, l3 = l0;
            __m256i h0 = l0, h1 = l0, h2 = l0, h3 = l0;
            for (; k < kend; k += 16) {
                __m256i xv = _mm256_loadu_si256((const __m256i *)(x + k));
                __m256i xl = _mm256_and_si256(xv, lowbyte);
                __m256i xh = _mm256_srai_epi16(xv, 8);
                __m256i a0 = _mm256_loadu_si256((const __m256i *)(w0 + k));
                __m256i a1 = _mm256_loadu_si256((const __m256i *)(w1 + k));
                __m256i a2 = _mm256_loadu_si256((const __m256i *)(w2 + k));
                __m256i a3 = _mm256_loadu_si256((const __m256i *)(w3 + k));
                l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(a0, xl));
                h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(a0, xh));
                l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(a1, xl));
                h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(a1, xh));
                l2 = _mm256_add_epi32(l2, _mm256_madd_epi16(a2, xl));
                h2 = _mm256_add_epi32(h2, _mm256_madd_epi16(a2, xh));
                l3 = _mm256_add_epi32(l3, _mm256_madd_epi16(a3, xl));
                h3 = _mm256_add_epi32(h3, _mm256_madd_epi16(a3, xh));
            }
            s[0] += 256 * sm_hsum_epi32_to_i64(h0) + sm_hsum_epi32_to_i64(l0);
            s[1] += 256 * sm_hsum_epi32_to_i64(h1) + sm_hsum_epi32_to_i64(l1);
            s[2] += 256 * sm_hsum_epi32_to_i64(h2) + sm_hsum_epi32_to_i64(l2);
            s[3] += 256 * sm_hsum_epi32_to_i64(h3) + sm_hsum_epi32_to_i64(l3);
        }
        for (int r = 0; r < 4; r++)
            acc[o + r] = s[r] + sm_dot_scalar(w0 + r * stride + nvec, x + nvec, n - nvec);
    }
    for (; o < nout; o++) {            /* the last 1-3 rows one at a time */
        const int16_t *w0 = w + o * stride;
        int64_t s0 = 0;
        int64_t k = 0;
        while (k < nvec) {
            int64_t kend = k + SM_CHUNK_STEPS * 16;
            if (kend > nvec)
                kend = nvec;
            __m256i l0 = _mm256_setzero_si256(), h0 = l0;
            for (; k < kend; k += 16) {
                __m256i xv = _mm256_loadu_si256((const __m256i *)(x + k));
                __m256i a0 = _mm256_loadu_si256((const __m256i *)(w0 + k));
                l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(a0, _mm256_and_si256(xv, lowbyte)));
                h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(a0, _mm256_srai_epi16(xv, 8)));
            }
            s0 += 256 * sm_hsum_epi32_to_i64(h0) + sm_hsum_epi32_to_i64(l0);
        }
        acc[o] = s0 + sm_dot_scalar(w0 + nvec, x + nvec, n - nvec);
    }
}

#define SM_FN(name) name##_avx2
#define SM_ATTR __attribute__((target("avx2,popcnt,bmi")))
#define SM_DOTS sm_dots_avx2
#define SM_COMPACT sm_compact_avx2
#include "_sparse_mac_group.h"
#undef SM_FN
#undef SM_ATTR
#undef SM_DOTS
#undef SM_COMPACT
#endif

#define SM_FN(name) name##_base
#define SM_ATTR
#define SM_DOTS sm_dots_scalar
#define SM_COMPACT sm_compact_scalar
#include "_sparse_mac_group.h"
#undef SM_FN
#undef SM_ATTR
#undef SM_DOTS
#undef SM_COMPACT

/* Fill the look-up tables; called once when the module is imported. */
static void sm_init(void)
{
#if SM_HAVE_X86
    sm_init_tables();
#endif
}

/* 1: never take the AVX2 path (to test the portable code on any CPU). */
static int sm_force_portable = 0;

static int sm_cpu_has_avx2(void)
{
    if (sm_force_portable)
        return 0;
#if SM_HAVE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") &&
           __builtin_cpu_supports("bmi");
#else
    return 0;
#endif
}

/* Pack a (rows, n_in) byte mask (non-zero = set) into (rows, W) uint64 words: bit b of
 * word w is position 64*w + b; bits past n_in are zero. SSE2 movemask on x86-64. */
static void sm_pack_mask(int64_t rows, int64_t n_in, int64_t W, const uint8_t *mask,
                         uint64_t *out)
{
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *src = mask + r * n_in;
        uint64_t *dst = out + r * W;
        int64_t i = 0;
        memset(dst, 0, (size_t)W * sizeof(uint64_t));
#if SM_HAVE_X86
        const __m128i zero = _mm_setzero_si128();
        for (; i + 16 <= n_in; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
            uint64_t bits = (uint64_t)(~_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) & 0xFFFF);
            dst[i >> 6] |= bits << (i & 63);
        }
#endif
        for (; i < n_in; i++)
            if (src[i])
                dst[i >> 6] |= (uint64_t)1 << (i & 63);
    }
}

/* Count the set bits of each group's packed synapse mask: nnz[g]. */
static void sm_count_groups(int64_t G, int64_t W, const uint64_t *smask, int64_t *nnz)
{
    for (int64_t g = 0; g < G; g++) {
        int64_t c = 0;
        for (int64_t w = 0; w < W; w++)
            c += __builtin_popcountll(smask[g * W + w]);
        nnz[g] = c;
    }
}

/* List the set positions of each group's synapse mask, in order, at spos + spos_off[g]. */
static void sm_synapse_positions(int64_t G, int64_t W, const uint64_t *smask,
                                 const int64_t *spos_off, int32_t *spos)
{
    for (int64_t g = 0; g < G; g++) {
        int32_t *dst = spos + spos_off[g];
        for (int64_t w = 0; w < W; w++) {
            uint64_t bits = smask[g * W + w];
            while (bits) {
                *dst++ = (int32_t)(w * 64 + __builtin_ctzll(bits));
                bits &= bits - 1;
            }
        }
    }
}

/* Expand the compressed neurons of every row to a dense row (zeros where not stored).
 * Returns -1 - p when row p's value count disagrees with its mask. */
static int64_t sm_expand_neurons(int64_t P, int64_t n_in, int64_t W, const uint64_t *nmask,
                                 const int16_t *values, const int64_t *offsets, int64_t n_values,
                                 int16_t *xdense)
{
    (void)n_in;
    for (int64_t p = 0; p < P; p++) {
        const uint64_t *nm = nmask + p * W;
        int64_t k = offsets[p], cnt = 0;
        for (int64_t w = 0; w < W; w++)
            cnt += __builtin_popcountll(nm[w]);
        if (k < 0 || offsets[p + 1] - k != cnt || offsets[p + 1] > n_values)
            return -1 - p;
        int16_t *row = xdense + p * 64 * W;
        for (int64_t w = 0; w < W; w++) {
            uint64_t bits = nm[w];
            while (bits) {
                row[w * 64 + __builtin_ctzll(bits)] = values[k++];
                bits &= bits - 1;
            }
        }
    }
    return 0;
}

/* Scratch of one thread: a group's gathered neurons, synapse flags and prefix counts,
 * and its outputs' sums. */
typedef struct {
    int16_t *xg, *xs;
    int32_t *sflag, *spre;
    int64_t *acc;
} sm_scratch;

static int sm_scratch_alloc(sm_scratch *s, int64_t W, int64_t max_group)
{
    size_t pad = (size_t)W * 64 + 64;
    s->xg = (int16_t *)malloc(pad * sizeof(int16_t));
    s->xs = (int16_t *)malloc(pad * sizeof(int16_t));
    s->sflag = (int32_t *)malloc(pad * sizeof(int32_t));
    s->spre = (int32_t *)malloc(((size_t)W + 1) * sizeof(int32_t));
    s->acc = (int64_t *)malloc(((size_t)max_group + 4) * sizeof(int64_t));
    return s->xg && s->xs && s->sflag && s->spre && s->acc;
}

static void sm_scratch_free(sm_scratch *s)
{
    free(s->xg);
    free(s->acc);
    free(s->xs);
    free(s->sflag);
    free(s->spre);
}

static inline void sm_one_group(const sm_args *a, int64_t g, int use_avx2, sm_scratch *s, int64_t *useful)
{
#if SM_HAVE_X86
    if (use_avx2)
        sm_group_avx2(a, g, s->xg, s->xs, s->sflag, s->spre, s->acc, useful);
    else
#endif
        sm_group_base(a, g, s->xg, s->xs, s->sflag, s->spre, s->acc, useful);
    (void)use_avx2;
}

/* Run every group over every row. threads <= 0: OpenMP's default. A call too small for a
 * second thread runs without entering a parallel region (same loop, same result).
 * Returns 0, or -1 when scratch memory could not be allocated. */
static int sm_run(const sm_args *a, int threads, int64_t *useful_out)
{
    const int use_avx2 = sm_cpu_has_avx2();
    int64_t useful = 0;
    int failed = 0;
    int64_t work = a->P * a->n_out * 64 + a->P * a->G * a->W;
    int nthreads = 1;
    int64_t max_group = 0;
    for (int64_t g = 0; g < a->G; g++)
        if (a->gstarts[g + 1] - a->gstarts[g] > max_group)
            max_group = a->gstarts[g + 1] - a->gstarts[g];
#ifdef _OPENMP
    nthreads = threads > 0 ? threads : omp_get_max_threads();
    if (work < SM_PARALLEL_MIN_WORK || a->G < 2)
        nthreads = 1;
#endif
    (void)threads;
    (void)work;
    if (nthreads == 1) {
        sm_scratch s;
        int ok = sm_scratch_alloc(&s, a->W, max_group);
        if (ok)
            for (int64_t g = 0; g < a->G; g++)
                sm_one_group(a, g, use_avx2, &s, &useful);
        sm_scratch_free(&s);
        *useful_out = useful;
        return ok ? 0 : -1;
    }
#pragma omp parallel num_threads(nthreads) reduction(+:useful) reduction(|:failed)
    {
        sm_scratch s;
        int ok = sm_scratch_alloc(&s, a->W, max_group);
        if (!ok)
            failed = 1;
        int64_t g;
#pragma omp for schedule(dynamic, 1)
        for (g = 0; g < a->G; g++) {
            if (!ok)
                continue;
            sm_one_group(a, g, use_avx2, &s, &useful);
        }
        sm_scratch_free(&s);
    }
    *useful_out = useful;
    return failed ? -1 : 0;
}

#endif
