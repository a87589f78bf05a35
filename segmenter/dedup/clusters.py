"""Cluster state: union-find over unit ordinals, the link that put each unit in its cluster,
the one container of each contained unit, and exact-copy roots."""

from __future__ import annotations

__all__ = ["ClusterState", "Link"]

Link = tuple[int, str, float]
"""(matched unit, relation, similarity)."""


class ClusterState:
    """Union-find sets over ordinals (the smaller ordinal stays the root, so a cluster's id, its
    first-seen member, is the same on every run). A unit is linked by containment to one
    container only, so a short text inside several unrelated pages cannot chain them."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.exact_of: list[int] = []  # ordinal of the first unit with the same text (or self)
        self.link: dict[int, Link] = {}  # unit -> the link that put it in its cluster
        self.container: dict[int, int] = {}  # contained unit -> its (one) container

    def add(self, exact_of: int | None = None) -> int:
        """A new node (its own set); ``exact_of``: the first unit with the same text."""
        o = len(self.parent)
        self.parent.append(o)
        self.exact_of.append(o if exact_of is None else exact_of)
        return o

    def add_many(self, exact_of: list[int | None]) -> None:
        """:meth:`add` for each of these nodes."""
        o = len(self.parent)
        self.parent.extend(range(o, o + len(exact_of)))
        self.exact_of.extend([o + k if e is None else e for k, e in enumerate(exact_of)])

    def find(self, x: int) -> int:
        """The root of ``x``'s set (with path halving)."""
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        """Merge the sets of a and b; the smaller ordinal stays the root. False if already one."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        return True

    def join(self, o: int, c: int, relation: str, similarity: float) -> bool:
        """Union ``o`` with ``c``; when that merged two sets, remember the link (the first one
        that put ``o`` in its cluster). True when it merged."""
        if not self.union(o, c):
            return False
        self.link.setdefault(o, (c, relation, similarity))
        return True

    def exact_root(self, o: int) -> int:
        """The first unit with ``o``'s text."""
        while self.exact_of[o] != o:
            o = self.exact_of[o]
        return o

    def groups(self, skip: set[int]) -> dict[int, list[int]]:
        """Members of every set by root, ordinals ascending (``skip``: nodes left out)."""
        groups: dict[int, list[int]] = {}
        for o in range(len(self.parent)):
            if o not in skip:
                groups.setdefault(self.find(o), []).append(o)
        return groups
