"""WebP decoded straight to the size that is served, through libwebp's own scaler.

Pillow decodes a WebP through libwebp's animation decoder, whatever the file: two full canvases,
a copy into Python bytes and the image itself, about 16 bytes a pixel (a 40 MP WebP took 640 MB).
libwebp can instead scale while it decodes: a lossy picture is then never held at full size at
all, a lossless one only in the decoder's own 4-byte-a-pixel buffer. Pillow does not expose that
call, so it is made here through ctypes, on the libwebp Pillow itself loaded (its wheel bundles
one), with the structures of libwebp's `decode.h` (decoder ABI 2.x; libwebp refuses a
configuration of another major version, so a mismatch fails cleanly instead of corrupting).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from pathlib import Path

from PIL import Image

_DECODER_ABI_VERSION = 0x0209  # the oldest 2.x layout with every field used below (libwebp 0.5)
_MODE_RGB, _MODE_RGBA = 0, 1
_STATUS_OK = 0


class _Features(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("has_alpha", ctypes.c_int),
        ("has_animation", ctypes.c_int),
        ("format", ctypes.c_int),
        ("pad", ctypes.c_uint32 * 5),
    ]


class _RGBABuffer(ctypes.Structure):
    _fields_ = [
        ("rgba", ctypes.c_void_p),
        ("stride", ctypes.c_int),
        ("size", ctypes.c_size_t),
    ]


class _YUVABuffer(ctypes.Structure):
    _fields_ = [
        ("y", ctypes.c_void_p),
        ("u", ctypes.c_void_p),
        ("v", ctypes.c_void_p),
        ("a", ctypes.c_void_p),
        ("y_stride", ctypes.c_int),
        ("u_stride", ctypes.c_int),
        ("v_stride", ctypes.c_int),
        ("a_stride", ctypes.c_int),
        ("y_size", ctypes.c_size_t),
        ("u_size", ctypes.c_size_t),
        ("v_size", ctypes.c_size_t),
        ("a_size", ctypes.c_size_t),
    ]


class _BufferUnion(ctypes.Union):
    _fields_ = [("RGBA", _RGBABuffer), ("YUVA", _YUVABuffer)]


class _DecBuffer(ctypes.Structure):
    _fields_ = [
        ("colorspace", ctypes.c_int),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("is_external_memory", ctypes.c_int),
        ("u", _BufferUnion),
        ("pad", ctypes.c_uint32 * 4),
        ("private_memory", ctypes.c_void_p),
    ]


class _Options(ctypes.Structure):
    _fields_ = [
        ("bypass_filtering", ctypes.c_int),
        ("no_fancy_upsampling", ctypes.c_int),
        ("use_cropping", ctypes.c_int),
        ("crop_left", ctypes.c_int),
        ("crop_top", ctypes.c_int),
        ("crop_width", ctypes.c_int),
        ("crop_height", ctypes.c_int),
        ("use_scaling", ctypes.c_int),
        ("scaled_width", ctypes.c_int),
        ("scaled_height", ctypes.c_int),
        ("use_threads", ctypes.c_int),
        ("dithering_strength", ctypes.c_int),
        ("flip", ctypes.c_int),
        ("alpha_dithering_strength", ctypes.c_int),
        ("pad", ctypes.c_uint32 * 5),
    ]


class _Config(ctypes.Structure):
    _fields_ = [("input", _Features), ("output", _DecBuffer), ("options", _Options)]


class WebPError(ValueError):
    """libwebp could not decode the data (or is not the version this module speaks)."""


def decode(data: bytes, size: tuple[int, int]) -> Image.Image:
    """Decode the still WebP `data` scaled to `size`: RGBA if it has alpha, else RGB."""
    lib = _library()
    config = _Config()
    if not lib.WebPInitDecoderConfigInternal(ctypes.byref(config), _DECODER_ABI_VERSION):
        raise WebPError("libwebp speaks another decoder ABI")
    if lib.WebPGetFeaturesInternal(
        data, len(data), ctypes.byref(config.input), _DECODER_ABI_VERSION
    ):
        raise WebPError("unreadable WebP header")
    if config.input.has_animation:
        raise WebPError("an animation is not a photo")
    mode, colorspace = ("RGBA", _MODE_RGBA) if config.input.has_alpha else ("RGB", _MODE_RGB)
    width, height = size
    stride = width * len(mode)
    pixels = ctypes.create_string_buffer(stride * height)
    config.options.use_scaling = 1
    config.options.scaled_width, config.options.scaled_height = width, height
    config.output.colorspace = colorspace
    config.output.is_external_memory = 1
    config.output.u.RGBA.rgba = ctypes.addressof(pixels)
    config.output.u.RGBA.stride = stride
    config.output.u.RGBA.size = len(pixels)
    try:
        status = lib.WebPDecode(data, len(data), ctypes.byref(config))
    finally:
        lib.WebPFreeDecBuffer(ctypes.byref(config.output))
    if status != _STATUS_OK:
        raise WebPError(f"libwebp status {status}")
    return Image.frombytes(mode, size, memoryview(pixels).cast("B"), "raw", mode, stride)


@cache
def _library() -> ctypes.CDLL:
    """Return the libwebp Pillow loaded (else the system's), with the calls typed."""
    from PIL import _webp  # noqa: F401  (loads Pillow's libwebp into this process)

    path = _loaded("libwebp") or ctypes.util.find_library("webp")
    if path is None:
        raise WebPError("libwebp not found")
    lib = ctypes.CDLL(path)
    lib.WebPInitDecoderConfigInternal.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.WebPInitDecoderConfigInternal.restype = ctypes.c_int
    lib.WebPGetFeaturesInternal.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_void_p,
        ctypes.c_int,
    ]
    lib.WebPGetFeaturesInternal.restype = ctypes.c_int
    lib.WebPDecode.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
    lib.WebPDecode.restype = ctypes.c_int
    lib.WebPFreeDecBuffer.argtypes = [ctypes.c_void_p]
    lib.WebPFreeDecBuffer.restype = None
    return lib


def _loaded(name: str) -> str | None:
    """Return the path of the shared library `name` this process mapped (libwebp-1a2b.so.7)."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split(maxsplit=5)[-1]
        base = Path(path).name
        if base.startswith((f"{name}.so", f"{name}-")) and ".so" in base:
            return path
    return None
