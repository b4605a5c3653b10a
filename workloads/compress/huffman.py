"""Canonical Huffman coding of small-alphabet integer streams (docs/hardware.md §5, step 3).

A real coder: :func:`build_code` derives code lengths from symbol counts, assigns
canonical code words, :func:`encode` packs them MSB-first into bytes and :func:`decode`
reads them back. :func:`roundtrip_bytes` does both and checks the result.

Choices and simplifications:

- Code lengths are limited to :data:`MAX_CODE_LENGTH` = 15 bits (as in DEFLATE). When
  the plain Huffman tree is deeper, the counts are halved (rounding up, so no symbol
  disappears) and the tree is rebuilt until it fits; this costs a little optimality on
  pathological distributions only.
- The stored table is the canonical one: 4 bits of code length per symbol of the
  alphabet ``0 .. alphabet_size-1`` (0 = symbol absent). :func:`table_bytes` gives its size.
- A stream of a single distinct symbol gets a 1-bit code (a decoder still needs to
  count symbols); the symbol count itself is part of the container header and is not
  counted here, like the tensor shape.
- Ties in the tree construction are broken by symbol value, so codes are deterministic.
"""
from __future__ import annotations

import heapq
from array import array
from dataclasses import dataclass

import numpy as np

MAX_CODE_LENGTH = 15


@dataclass(frozen=True)
class HuffmanCode:
    """Canonical code: ``lengths[s]`` bits and code word ``codes[s]`` for symbol ``s``."""

    lengths: np.ndarray  # int, 0 for absent symbols
    codes: np.ndarray    # uint64 code words (right-aligned)

    @property
    def alphabet_size(self) -> int:
        return int(self.lengths.size)

    @property
    def max_length(self) -> int:
        return int(self.lengths.max()) if self.lengths.size else 0


def _code_lengths(counts: np.ndarray) -> np.ndarray:
    """Unlimited Huffman code lengths for positive ``counts`` (zeros stay zero)."""
    lengths = np.zeros(counts.size, dtype=np.int64)
    present = [int(s) for s in np.flatnonzero(counts)]
    if len(present) == 1:
        lengths[present[0]] = 1
        return lengths
    # heap items: (count, tie-break, list of symbols)
    heap = [(int(counts[s]), s, [s]) for s in present]
    heapq.heapify(heap)
    tie = counts.size
    while len(heap) > 1:
        c1, _, s1 = heapq.heappop(heap)
        c2, _, s2 = heapq.heappop(heap)
        for s in s1:
            lengths[s] += 1
        for s in s2:
            lengths[s] += 1
        heapq.heappush(heap, (c1 + c2, tie, s1 + s2))
        tie += 1
    return lengths


def build_code(symbols: np.ndarray, alphabet_size: int | None = None) -> HuffmanCode:
    """Canonical Huffman code for the non-negative integer ``symbols``."""
    s = np.asarray(symbols).ravel()
    if s.size and (s.min() < 0):
        raise ValueError("Huffman symbols must be non-negative integers")
    size = int(alphabet_size if alphabet_size is not None else (int(s.max()) + 1 if s.size else 1))
    if s.size and int(s.max()) >= size:
        raise ValueError(f"symbol {int(s.max())} is outside the alphabet 0..{size - 1}")
    counts = np.bincount(s.astype(np.int64), minlength=size).astype(np.int64)
    if counts.sum() == 0:
        return HuffmanCode(lengths=np.zeros(size, dtype=np.int64), codes=np.zeros(size, dtype=np.uint64))
    lengths = _code_lengths(counts)
    while lengths.max() > MAX_CODE_LENGTH:
        counts = np.where(counts > 0, (counts + 1) // 2, 0)
        lengths = _code_lengths(counts)
    return HuffmanCode(lengths=lengths, codes=_canonical_codes(lengths))


def _canonical_codes(lengths: np.ndarray) -> np.ndarray:
    """Canonical code words: sorted by (length, symbol), consecutive values per length."""
    codes = np.zeros(lengths.size, dtype=np.uint64)
    order = sorted((int(l), s) for s, l in enumerate(lengths) if l > 0)
    code, prev_len = 0, order[0][0] if order else 0
    for i, (length, sym) in enumerate(order):
        if i:
            code = (code + 1) << (length - prev_len)
        codes[sym] = code
        prev_len = length
    return codes


def code_from_lengths(lengths: np.ndarray) -> HuffmanCode:
    """Rebuild the code from the stored table of lengths (what a decoder does)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return HuffmanCode(lengths=lengths, codes=_canonical_codes(lengths))


def table_bytes(code: HuffmanCode) -> int:
    """Bytes of the stored canonical table: 4 bits of length per alphabet symbol."""
    return -(-code.alphabet_size * 4 // 8)


def encoded_bits(symbols: np.ndarray, code: HuffmanCode) -> int:
    """Length of the coded stream in bits (without encoding it)."""
    s = np.asarray(symbols, dtype=np.int64).ravel()
    return int(code.lengths[s].sum())


def encode(symbols: np.ndarray, code: HuffmanCode, chunk: int = 1 << 20) -> tuple[bytes, int]:
    """Encode ``symbols``; returns ``(payload bytes MSB-first, number of valid bits)``."""
    s = np.asarray(symbols, dtype=np.int64).ravel()
    if s.size and (code.lengths[s] == 0).any():
        raise ValueError("a symbol to encode has no code word (it was absent when the code was built)")
    pieces = []
    for start in range(0, s.size, chunk):
        part = s[start:start + chunk]
        lens = code.lengths[part]
        words = code.codes[part]
        total = int(lens.sum())
        owner = np.repeat(np.arange(part.size), lens)
        first = np.cumsum(lens) - lens
        pos = np.arange(total) - first[owner]
        shift = (lens[owner] - 1 - pos).astype(np.uint64)
        pieces.append(((words[owner] >> shift) & np.uint64(1)).astype(np.uint8))
    bits = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint8)
    return np.packbits(bits).tobytes(), int(bits.size)


def decode(payload: bytes, nbits: int, code: HuffmanCode, count: int | None = None) -> np.ndarray:
    """Decode ``nbits`` bits of ``payload`` (stops after ``count`` symbols if given)."""
    L = code.max_length
    if nbits == 0:
        return np.zeros(0, dtype=np.int64)
    if L == 0:
        raise ValueError("cannot decode with an empty code")
    bits = np.unpackbits(np.frombuffer(payload, dtype=np.uint8))[:nbits].astype(np.uint32)
    # value of the L bits starting at every position (zero-padded past the end)
    padded = np.concatenate([bits, np.zeros(L, dtype=np.uint32)])
    window = np.zeros(nbits, dtype=np.uint32)
    for i in range(L):
        window = (window << np.uint32(1)) | padded[i:i + nbits]
    # lookup table: L-bit prefix -> (symbol, length)
    sym_table = np.full(1 << L, -1, dtype=np.int64)
    len_table = np.zeros(1 << L, dtype=np.int64)
    for sym in np.flatnonzero(code.lengths):
        length = int(code.lengths[sym])
        lo = int(code.codes[sym]) << (L - length)
        sym_table[lo:lo + (1 << (L - length))] = sym
        len_table[lo:lo + (1 << (L - length))] = length
    windows = array("l", window.astype(np.int64).tolist()) if nbits < (1 << 26) else window
    syms = sym_table.tolist()
    lens = len_table.tolist()
    out = array("l")
    p = 0
    limit = count if count is not None else -1
    while p < nbits and limit != 0:
        v = windows[p]
        length = lens[v]
        if length == 0 or p + length > nbits:
            raise ValueError(f"corrupt Huffman stream at bit {p}")
        out.append(syms[v])
        p += length
        limit -= 1
    return np.frombuffer(out, dtype=np.int64).copy() if len(out) else np.zeros(0, dtype=np.int64)


def roundtrip_bytes(symbols: np.ndarray, alphabet_size: int | None = None) -> int:
    """Encode ``symbols``, decode them with a code rebuilt from the stored lengths, check
    equality, and return the coded size in bytes (payload + table). Raises on mismatch."""
    s = np.asarray(symbols, dtype=np.int64).ravel()
    code = build_code(s, alphabet_size)
    payload, nbits = encode(s, code)
    back = decode(payload, nbits, code_from_lengths(code.lengths), count=s.size)
    if back.size != s.size or not np.array_equal(back, s):
        raise RuntimeError("Huffman round trip failed: decoded symbols differ from the input")
    return len(payload) + table_bytes(code)
