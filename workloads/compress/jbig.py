"""JBIG (ITU-T T.82) coding of bi-level images through jbigkit's ``libjbig``.

Used for the irregularity measure of docs/hardware.md §5: a layer's index bitmask is treated
as a black-and-white image (1 = weight kept = black pixel) and compressed with a real
JBIG coder; ``R(Irr) = JBIG bytes of the fine-grained mask / JBIG bytes of the
coarse-grained mask`` at the same sparsity.

The shared library is loaded with :mod:`ctypes` (Debian/Ubuntu package ``libjbig0``;
no headers needed). The encoder and decoder state structs are opaque to Python: a
zeroed buffer larger than either struct is handed to the library, which owns its
contents. Encoding uses the library defaults (one resolution layer, sequential, typical
prediction on); only the output of :func:`jbg_enc_out` is counted, i.e. the whole BIE
including its 20-byte header. Every encode is decoded again and compared
(:func:`encode`, ``verify=True``).
"""
from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import numpy as np

LIBRARY_NAMES = ("libjbig.so.0", "libjbig.so")
STATE_BYTES = 1 << 16  # far larger than struct jbg_enc_state / jbg_dec_state (< 2 KB)
JBG_EOK = 0
JBG_EAGAIN = 2 << 4

_OUT_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.POINTER(ctypes.c_ubyte), ctypes.c_size_t, ctypes.c_void_p)


class JbigUnavailable(RuntimeError):
    """libjbig could not be loaded."""


@lru_cache(maxsize=1)
def library() -> ctypes.CDLL:
    """Load libjbig once, with prototypes declared; a clear error when it is missing."""
    names = list(LIBRARY_NAMES)
    found = ctypes.util.find_library("jbig")
    if found:
        names.append(found)
    lib = None
    for name in names:
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if lib is None:
        raise JbigUnavailable("the JBIG library libjbig.so.0 (jbigkit) is not installed; on Debian/Ubuntu "
                              "install the package libjbig0 (apt-get install -y libjbig0)")
    vp, ul, sz = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_size_t
    lib.jbg_enc_init.argtypes = [vp, ul, ul, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), _OUT_CALLBACK, vp]
    lib.jbg_enc_init.restype = None
    lib.jbg_enc_out.argtypes = [vp]
    lib.jbg_enc_out.restype = None
    lib.jbg_enc_free.argtypes = [vp]
    lib.jbg_enc_free.restype = None
    lib.jbg_dec_init.argtypes = [vp]
    lib.jbg_dec_init.restype = None
    lib.jbg_dec_in.argtypes = [vp, ctypes.POINTER(ctypes.c_ubyte), sz, ctypes.POINTER(sz)]
    lib.jbg_dec_in.restype = ctypes.c_int
    lib.jbg_dec_getwidth.argtypes = [vp]
    lib.jbg_dec_getwidth.restype = ul
    lib.jbg_dec_getheight.argtypes = [vp]
    lib.jbg_dec_getheight.restype = ul
    lib.jbg_dec_getimage.argtypes = [vp, ctypes.c_int]
    lib.jbg_dec_getimage.restype = ctypes.POINTER(ctypes.c_ubyte)
    lib.jbg_dec_getsize.argtypes = [vp]
    lib.jbg_dec_getsize.restype = ul
    lib.jbg_dec_free.argtypes = [vp]
    lib.jbg_dec_free.restype = None
    lib.jbg_strerror.argtypes = [ctypes.c_int]
    lib.jbg_strerror.restype = ctypes.c_char_p
    return lib


def available() -> bool:
    """True when libjbig can be loaded."""
    try:
        library()
        return True
    except JbigUnavailable:
        return False


def _check_image(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim != 2 or img.shape[0] < 1 or img.shape[1] < 1:
        raise ValueError(f"a JBIG image must be a non-empty 2-D array, got shape {img.shape}")
    return img.astype(bool)


def encode(image: np.ndarray, verify: bool = True) -> bytes:
    """JBIG-encode a 2-D boolean image (True = black); returns the BIE bytes."""
    img = _check_image(image)
    lib = library()
    height, width = img.shape
    packed = np.ascontiguousarray(np.packbits(img, axis=1))  # rows padded to whole bytes, MSB first
    plane = ctypes.c_void_p(packed.ctypes.data)
    planes = (ctypes.c_void_p * 1)(plane)
    chunks: list[bytes] = []

    def out(start, length, _file):
        chunks.append(ctypes.string_at(start, length))

    callback = _OUT_CALLBACK(out)
    state = ctypes.create_string_buffer(STATE_BYTES)
    lib.jbg_enc_init(state, width, height, 1, planes, callback, None)
    lib.jbg_enc_out(state)
    lib.jbg_enc_free(state)
    data = b"".join(chunks)
    if verify:
        back = decode(data)
        if back.shape != img.shape or not np.array_equal(back, img):
            raise RuntimeError("JBIG round trip failed: the decoded image differs from the input")
    return data


def decode(data: bytes) -> np.ndarray:
    """Decode a JBIG BIE into a 2-D boolean image."""
    lib = library()
    state = ctypes.create_string_buffer(STATE_BYTES)
    lib.jbg_dec_init(state)
    buf = (ctypes.c_ubyte * len(data)).from_buffer_copy(data)
    used = ctypes.c_size_t(0)
    try:
        rc = lib.jbg_dec_in(state, buf, len(data), ctypes.byref(used))
        if rc != JBG_EOK:
            msg = lib.jbg_strerror(rc).decode(errors="replace")
            raise ValueError(f"JBIG decoding failed: {msg} (code {rc})")
        width = lib.jbg_dec_getwidth(state)
        height = lib.jbg_dec_getheight(state)
        size = lib.jbg_dec_getsize(state)
        raw = ctypes.string_at(lib.jbg_dec_getimage(state, 0), size)
    finally:
        lib.jbg_dec_free(state)
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, -1)
    return np.unpackbits(rows, axis=1)[:, :width].astype(bool)


def encoded_bytes(image: np.ndarray, verify: bool = True) -> int:
    """Size in bytes of the JBIG encoding of ``image``."""
    return len(encode(image, verify=verify))


def irregularity(fine_mask: np.ndarray, coarse_mask: np.ndarray, verify: bool = True) -> float:
    """R(Irr) = JBIG bytes of the fine-grained mask / JBIG bytes of the coarse-grained one.

    Both masks are 2-D views (rows = output neurons) of the same layer's weights."""
    f = _check_image(np.asarray(fine_mask).reshape(np.shape(fine_mask)[0], -1))
    c = _check_image(np.asarray(coarse_mask).reshape(np.shape(coarse_mask)[0], -1))
    if f.shape != c.shape:
        raise ValueError(f"fine mask {f.shape} and coarse mask {c.shape} must have the same shape")
    return encoded_bytes(f, verify) / encoded_bytes(c, verify)
