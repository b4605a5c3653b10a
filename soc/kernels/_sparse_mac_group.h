/* One output group of the sparse MAC for every input row: instantiated twice by
 * _sparse_mac_core.h, once for the AVX2 instruction set and once for the baseline
 * x86-64 / any other target, with
 *   SM_FN(name)  the suffixed function name,
 *   SM_ATTR      the target attribute (empty for the baseline),
 *   SM_DOTS      the exact int16 x int16 -> int64 dot products of several weight rows
 *                with one neuron vector,
 *   SM_COMPACT   the copy of a row's neurons at the set positions of a synapse mask.
 *
 * For every row p of the group's input rows:
 *   NSM   the neuron and synapse bitmask words are ANDed and popcounted: the number of
 *         selected positions m (the "selected" count).
 *   PEs   every output of the group is the exact sum of neuron x weight over the m
 *         selected positions. Two equivalent ways, chosen by cost only:
 *         - dense-in-group: the group's compressed weight row has one weight per set bit
 *           of the synapse mask; the neuron at each of those positions (0 where the
 *           neuron mask is clear) is placed at its synapse rank in a buffer, and each
 *           output is a contiguous SIMD dot product over nnz_g positions. Positions
 *           whose neuron is zero add an exact 0, so the sum equals the sum over the
 *           selected positions.
 *         - gather: the selected neurons and their synapse flags (rank in the synapse
 *           mask, from prefix popcounts) are gathered once, and each output sums
 *           neuron x weight[flag] over the m selected positions.
 *         The gather path is taken when m * SM_GATHER_RATIO < nnz_g.
 *   The 64-bit sum (the documented 48-bit accumulator never overflows, N_in <= 2^16)
 *   is rounded half up by frac_bits and saturated to int16, or stored as it is in raw
 *   mode.
 * The counts (selected, useful MACs) depend only on the masks, never on the path. */

static SM_ATTR void SM_FN(sm_group)(const sm_args *a, int64_t g, int16_t *xg, int16_t *xs,
                                     int32_t *sflag, int32_t *spre, int64_t *acc,
                                     int64_t *useful)
{
    const int64_t W = a->W;
    const uint64_t *sm = a->smask + g * W;
    const int64_t o0 = a->gstarts[g], gsize = a->gstarts[g + 1] - o0;
    const int32_t *pos = a->spos + a->spos_off[g];
    const int64_t nnz_g = a->spos_off[g + 1] - a->spos_off[g];
    const int16_t *wblock = a->weights + a->woff[g];
    const int64_t half = a->frac_bits > 0 ? ((int64_t)1 << (a->frac_bits - 1)) : 0;
    int64_t p, w, k, o;
    int32_t run = 0;
    for (w = 0; w < W; w++) {          /* synapse prefix counts per word */
        spre[w] = run;
        run += (int32_t)__builtin_popcountll(sm[w]);
    }
    for (p = 0; p < a->P; p++) {
        const uint64_t *nm = a->nmask + p * W;
        const int16_t *xrow = a->xdense + p * 64 * W;
        int64_t m = 0;
        for (w = 0; w < W; w++)
            m += __builtin_popcountll(nm[w] & sm[w]);
        a->sel[p * a->G + g] = (int32_t)m;
        *useful += m * gsize;
        if (m == 0 || gsize == 0) {
            for (o = 0; o < gsize; o++)
                sm_put(a, p, o0 + o, 0, half);
            continue;
        }
        if (m * SM_GATHER_RATIO >= nnz_g) {
            /* dense-in-group: neuron at each synapse position, zero where not stored */
            SM_COMPACT(xrow, sm, W, pos, nnz_g, xg);
            SM_DOTS(wblock, nnz_g, gsize, xg, nnz_g, acc);
            for (o = 0; o < gsize; o++)
                sm_put(a, p, o0 + o, acc[o], half);
        } else {
            /* gather: neuron values and synapse flags of the selected positions */
            k = 0;
            for (w = 0; w < W; w++) {
                uint64_t both = nm[w] & sm[w];
                while (both) {
                    int b = __builtin_ctzll(both);
                    uint64_t below = (((uint64_t)1) << b) - 1;
                    xs[k] = xrow[w * 64 + b];
                    sflag[k] = spre[w] + (int32_t)__builtin_popcountll(sm[w] & below);
                    k++;
                    both &= both - 1;
                }
            }
            for (o = 0; o < gsize; o++) {
                const int16_t *wrow = wblock + o * nnz_g;
                int64_t acc0 = 0, acc1 = 0;
                for (k = 0; k + 1 < m; k += 2) {
                    acc0 += (int64_t)((int32_t)xs[k] * (int32_t)wrow[sflag[k]]);
                    acc1 += (int64_t)((int32_t)xs[k + 1] * (int32_t)wrow[sflag[k + 1]]);
                }
                if (k < m)
                    acc0 += (int64_t)((int32_t)xs[k] * (int32_t)wrow[sflag[k]]);
                sm_put(a, p, o0 + o, acc0 + acc1, half);
            }
        }
    }
}
