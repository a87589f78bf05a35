"""Cluster state: union-find over unit ordinals, the link that put each unit in its cluster,
the one container of each contained unit, and exact-copy roots."""

from __future__ import annotations

import numpy as np

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
        """Members of every set by root, ordinals ascending, sets by their first member
        (``skip``: nodes left out)."""
        alone, together = self.partition(skip)
        sets = sorted([[o] for o in alone] + together)
        return {self.find(members[0]): members for members in sets}

    def roots(self) -> np.ndarray:
        """The root of every node (int64), by pointer jumping over the whole forest at once
        (the sets are not changed)."""
        roots = np.asarray(self.parent, dtype=np.int64)
        while True:
            up = roots[roots]
            if np.array_equal(up, roots):
                return roots
            roots = up

    def partition(self, skip: set[int]) -> tuple[list[int], list[list[int]]]:
        """The nodes alone in their set, and the members of every other set (ordinals
        ascending, sets by their first member); ``skip``: nodes left out (a set of one node
        and skipped ones is a node alone)."""
        n = len(self.parent)
        keep = np.ones(n, dtype=bool)
        if skip:
            keep[np.fromiter(skip, dtype=np.int64, count=len(skip))] = False
        kept = np.flatnonzero(keep)
        root = self.roots()[kept]
        size = np.bincount(root, minlength=n)[root]
        many, root = kept[size > 1], root[size > 1]
        order = np.argsort(root, kind="stable")  # members ascend within a set
        many, root = many[order], root[order]
        starts = np.flatnonzero(np.r_[True, root[1:] != root[:-1]]) if len(root) else \
            np.zeros(0, dtype=np.int64)
        sets = np.split(many, starts[1:])
        by_first = np.argsort(many[starts], kind="stable")
        return kept[size == 1].tolist(), [sets[i].tolist() for i in by_first.tolist()]
