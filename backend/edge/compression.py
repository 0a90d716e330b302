"""JSON and other text answers over 1 KB go gzip-compressed to clients that take it.

Handlers marked with SKIP_COMPRESSION answer with bytes that must pass untouched: the app's files
(precompressed at build, chosen per request in backend.pwa), JPEGs, and the live stream, whose
events a compressor would hold back.
"""

from __future__ import annotations

from litestar.config.compression import CompressionConfig

SKIP_COMPRESSION = "skip_compression"
SKIP = {SKIP_COMPRESSION: True}

COMPRESSION = CompressionConfig(
    backend="gzip", minimum_size=1024, gzip_compress_level=6, exclude_opt_key=SKIP_COMPRESSION
)
