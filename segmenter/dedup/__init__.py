"""Near-duplicate detection: candidates from LSH, verification, union-find clusters, keepers.

Units (stories or whole documents) stream in through :meth:`Deduplicator.add`; they are signed in
batches (:mod:`segmenter.fingerprint`) and looked up in two LSH tables of the index
(:mod:`segmenter.index`):

``full``
    the MinHash of all shingles: finds ``near`` copies (re-scrapes, light edits);
``head``
    the MinHash of the first ``config.head`` shingles: finds ``contained`` copies. A teaser or an
    abridged copy is the first part of its article, so its shingles are (nearly) the article's
    first shingles, and the head sketches of both agree even though their full Jaccard is low.
    This works while streaming, whichever copy comes first.

Every candidate is *verified* on the exact shingle sets (kept as compact sorted uint32 arrays,
not texts) before it joins a cluster: Jaccard >= ``threshold`` (``near``) or containment of the
smaller unit >= ``containment`` (``contained``). A unit is linked by containment to one container
only, so a short text found inside several unrelated pages (a shared template, a teaser block)
cannot chain them into one cluster. Identical texts (``exact``) are found by a digest and skip
the index.

Clusters are union-find sets over input ordinals; a cluster's id is the id of its first-seen
member, so the output is the same on every run (no Python ``hash()`` anywhere). The keeper is
chosen at the end by ``config.keep``.

**Persistent indexes** (:class:`~segmenter.index.PersistentIndex`: an SQLite file or Redis) make
dedup incremental: every batch is looked up, queried and inserted in one atomic step, so a run
is compared with everything earlier runs indexed. Units of earlier runs are not in memory; when
one is a candidate it joins the union-find as a *prior* node (its id, sizes and the 16-bit copy
of its signature fetched from the index) and is verified by estimation against the new unit's
exact shingle set: the share of the prior unit's 128 MinHash argmins found among the new unit's
permuted shingles estimates ``|A & B| / |B|`` (containment, shared shingles), and the signature
agreement estimates the Jaccard similarity. A containment estimate must clear the threshold
with a margin for its sampling noise. Prior units are never output; a cluster that contains
one is named after it, and with ``keep=complete`` a prior copy wins ties (it was seen first).

Runs have an identity (``run_id``), recorded with every unit they index. A unit whose id *and*
content another run met (indexed it, or met it as an exact copy of an indexed text: the index
remembers the ids of copies) is ``seen``: a duplicate of that indexed unit, never a keeper. A
unit whose id and content *this* run id indexed before (the same job again, e.g. after a crash)
is not inserted again and is compared only with the units indexed before it, so the job
reproduces its first assignments exactly and adds nothing. A unit whose content is indexed
under another id is an ``exact`` duplicate of that earlier unit and is not inserted either.

The parts, one job each:

=================  ===============================================================
``deduplicator``   :class:`Deduplicator`: batching, exact digests, candidates, the flow
``verify``         :func:`verify` two shingle sets; :func:`judge` a verified pair
``clusters``       union-find, links, the one container per unit, exact-copy roots
``nodes``          what is kept per unit: id, completeness, length, shingle set
``prior``          units of earlier runs (persistent index): prior nodes, estimates
``keeper``         which member a cluster keeps
``explain``        a member's relation to its keeper and the evidence
=================  ===============================================================
"""

from __future__ import annotations

from .deduplicator import Deduplicator, DedupStats, block_rule, lsh_params, sample_config
from .verify import Verdict, judge, verify

__all__ = ["DedupStats", "Deduplicator", "Verdict", "block_rule", "judge", "lsh_params",
           "sample_config", "verify"]
