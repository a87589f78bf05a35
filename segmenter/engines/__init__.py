"""Execution engines that run segmenter's dedup somewhere other than this process.

``segmenter.engines.ray``
    the same dedup on a Ray cluster (``pip install 'segmenter[ray]'``): shards are read, cleaned,
    split and signed in parallel, LSH buckets, verification and connected components are
    distributed, and every output is the local engine's, byte for byte.

Importing this package (or ``segmenter``) never imports Ray; the engine module imports it when a
function that needs it is called.
"""

from __future__ import annotations

__all__: list[str] = []
