import numpy as np
import pytest

from workloads.compress import huffman, indexing, jbig
from workloads.compress.prune import prune
from workloads.compress.quantize import choose_k, global_quantize, kmeans_1d, quantize, relative_error


@pytest.mark.parametrize("n, k", [(1, 2), (7, 3), (5000, 16), (20000, 200)])
def test_huffman_round_trip(n, k):
    rng = np.random.default_rng(n)
    s = np.minimum(rng.geometric(0.3, size=n) - 1, k - 1)
    code = huffman.build_code(s, k)
    payload, nbits = huffman.encode(s, code)
    assert nbits == huffman.encoded_bits(s, code)
    back = huffman.decode(payload, nbits, huffman.code_from_lengths(code.lengths), count=n)
    np.testing.assert_array_equal(back, s)


def test_huffman_beats_fixed_width_on_skewed_data_and_is_prefix_free():
    s = np.random.default_rng(1).geometric(0.5, size=10000) - 1
    s = np.minimum(s, 15)
    coded = huffman.roundtrip_bytes(s, 16)
    assert coded < 10000 * 4 / 8
    code = huffman.build_code(s, 16)
    words = [format(int(code.codes[i]), f"0{int(code.lengths[i])}b")
             for i in range(16) if code.lengths[i]]
    for a in words:
        for b in words:
            assert a == b or not b.startswith(a)


def test_huffman_length_limit_on_fibonacci_counts():
    fib = [1, 1]
    while len(fib) < 22:
        fib.append(fib[-1] + fib[-2])
    s = np.repeat(np.arange(22), fib)
    code = huffman.build_code(s)
    assert code.max_length <= huffman.MAX_CODE_LENGTH
    assert huffman.roundtrip_bytes(s) > 0


def test_huffman_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        huffman.build_code(np.array([1, -2]))
    with pytest.raises(ValueError, match="alphabet"):
        huffman.build_code(np.array([1, 9]), alphabet_size=4)
    code = huffman.build_code(np.array([0, 0, 1]))
    with pytest.raises(ValueError, match="no code word"):
        huffman.encode(np.array([2]), huffman.build_code(np.array([0, 1]), 3))
    del code


def test_index_run_lengths_round_trip_and_coding():
    rng = np.random.default_rng(2)
    bits = np.repeat(rng.random(200) < 0.2, rng.integers(1, 600, size=200))
    runs = indexing.run_lengths(bits)
    assert runs.max() <= 255
    np.testing.assert_array_equal(indexing.bits_from_runs(runs), bits)
    size, fmt = indexing.coded_index_bytes(bits)
    assert fmt == "huffman-runs" and size < indexing.raw_index_bytes(bits)
    # incompressible noise keeps the raw bitmask
    noise = rng.random(4096) < 0.5
    assert indexing.coded_index_bytes(noise) == (512, "raw")


def test_group_index_shares_rows():
    keep = np.zeros((40, 10), dtype=bool)
    keep[0:16, 3] = True
    idx = indexing.group_index(keep, 16)
    assert idx.shape == (3, 10)
    assert idx[0, 3] and not idx[1:, 3].any()


def test_kmeans_deterministic_and_codebook_sizes():
    x = np.random.default_rng(0).normal(size=3000)
    c1, k1 = kmeans_1d(x, 8, seed=4)
    c2, k2 = kmeans_1d(x, 8, seed=4)
    np.testing.assert_array_equal(c1, c2)
    np.testing.assert_array_equal(k1, k2)
    assert c1.size == 8 and k1.max() == 7
    c, k = kmeans_1d(np.array([1.0, 1.0, 2.0]), 8)
    assert c.size == 2


def test_local_quantization_codebooks_per_submatrix():
    rng = np.random.default_rng(0)
    # weights whose scale differs across the matrix: local codebooks follow it
    scale = np.repeat(np.repeat(rng.uniform(0.1, 3, size=(8, 8)), 40, 0), 100, 1)
    w = (rng.normal(size=(320, 800)) * scale).astype(np.float32)
    r = prune(w, 0.9, (16, 16))
    loc = quantize(r.weights, r.keep, 16, n_sub=64)
    glo = global_quantize(r.weights, r.keep, 16)
    assert loc.grid == (8, 8) and len(loc.codebooks) == 64
    rows = np.array_split(np.arange(320), 8)
    cols = np.array_split(np.arange(800), 8)
    for i, cb in enumerate(loc.codebooks):
        sub = r.keep[np.ix_(rows[i // 8], cols[i % 8])].sum()
        assert cb.size == min(16, sub)  # K per sub-matrix, fewer only when fewer weights survive
    assert sum(cb.size == 16 for cb in loc.codebooks) >= 8
    assert all(c.size == 0 or c.max() < 16 for c in loc.codes)
    assert loc.n_codes == int(r.keep.sum()) and loc.bits == 4
    assert glo.grid == (1, 1) and len(glo.codebooks) == 1
    assert relative_error(r.weights, r.keep, loc.dequantized) < relative_error(r.weights, r.keep, glo.dequantized)
    assert np.all(loc.dequantized[~r.keep] == 0)


def test_choose_k_smallest_meeting_error():
    w = np.random.default_rng(5).normal(size=(64, 256)).astype(np.float32)
    q = choose_k(w, None, n_sub=4, max_rel_error=0.05)
    assert relative_error(w, np.ones_like(w, bool), q.dequantized) <= 0.05
    smaller = quantize(w, None, q.k // 2, n_sub=4)
    assert relative_error(w, np.ones_like(w, bool), smaller.dequantized) > 0.05
    with pytest.raises(ValueError, match="k=1"):
        quantize(w, None, 1)


needs_jbig = pytest.mark.skipif(not jbig.available(), reason="libjbig0 not installed")


@needs_jbig
def test_jbig_round_trip():
    img = np.random.default_rng(0).random((37, 53)) < 0.3
    data = jbig.encode(img, verify=False)
    np.testing.assert_array_equal(jbig.decode(data), img)
    with pytest.raises(ValueError, match="2-D"):
        jbig.encode(np.zeros(5, bool))


@needs_jbig
@pytest.mark.parametrize("block", [(4, 4), (16, 16), (32, 32)])
def test_irregularity_above_one_for_coarse_blocks(block):
    w = np.random.default_rng(1).normal(size=(300, 784)).astype(np.float32)
    fine = prune(w, 0.9, (1, 1))
    coarse = prune(w, 0.9, block)
    assert abs(fine.density - coarse.density) < 0.01
    assert jbig.irregularity(fine.keep, coarse.keep) > 1.0


def test_refit_codebooks_keeps_codes_and_moves_centroids_to_means():
    from workloads.compress.quantize import refit_codebooks

    w = np.random.default_rng(7).normal(size=(64, 64)).astype(np.float32)
    q = quantize(w, None, 4, n_sub=4, min_weights_per_codebook=16)
    shifted = w + 0.5
    r = refit_codebooks(q, shifted)
    assert r.code_bytes == q.code_bytes and r.codebook_bytes == q.codebook_bytes
    for a, b in zip(q.codes, r.codes):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(r.dequantized, q.dequantized + 0.5, atol=1e-5)


def test_missing_jbig_library_names_debian_package(monkeypatch):
    import ctypes
    import ctypes.util

    def no_library(*args, **kwargs):
        raise OSError("not found")

    jbig.library.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", no_library)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    try:
        with pytest.raises(jbig.JbigUnavailable, match="libjbig0"):
            jbig.library()
        assert not jbig.available()
    finally:
        monkeypatch.undo()
        jbig.library.cache_clear()
