"""Which member of a cluster is kept (``config.keep``)."""

from __future__ import annotations

__all__ = ["keeper_key"]


def keeper_key(keep: str, rank: int, length: int, complete: bool) -> tuple[int, ...]:
    """The key a cluster's keeper maximises: ``first`` the first seen; ``longest`` the longest,
    then the first seen; ``complete`` an article over its teasers and truncated copies, then
    the longest, then the first seen (``rank``: order of first sight)."""
    if keep == "first":
        return (-rank,)
    if keep == "longest":
        return (length, -rank)
    return (int(complete), length, -rank)
