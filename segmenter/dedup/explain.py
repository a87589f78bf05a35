"""How a cluster member relates to its keeper, and the evidence shown for it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import DedupConfig
from ..fingerprint import normalized_words
from ..model import Relation
from .verify import Verdict

__all__ = ["relation_to_keeper", "shared_evidence"]


def relation_to_keeper(
    v: Verdict, config: DedupConfig, *, size: int, keeper_size: int, exact: bool,
    link: tuple[str, str, float] | None, estimated_at: float | None = None,
) -> tuple[Relation, float, dict[str, Any]]:
    """The relation, similarity and evidence of a member (``size`` shingles) to its keeper,
    from their verdict ``v``. ``exact``: the same text; ``link``: (matched id, relation,
    similarity) of the link that put the member in its cluster; ``estimated_at``: the time an
    earlier run indexed the keeper, when ``v`` is an estimate against it."""
    ev: dict[str, Any] = {
        "jaccard": round(v.jaccard, 4),
        "containment": round(v.containment, 4),
        "shared_shingles": v.shared,
        "shingles": size,
        "keeper_shingles": keeper_size,
    }
    if estimated_at is not None:
        ev["estimated"] = True
        ev["keeper_indexed"] = estimated_at
    if link is not None:
        ev["matched"] = link[0]
        ev["matched_relation"] = link[1]
        ev["matched_similarity"] = round(link[2], 4)
    rel: Relation
    if exact:
        return "exact", 1.0, ev
    shorter = size < 0.8 * keeper_size
    if v.jaccard >= config.threshold:
        rel, sim = "near", v.jaccard
    elif shorter and v.containment >= config.containment:
        rel, sim = "contained", v.containment
    elif link is not None and link[1] == "contained" and shorter:
        rel, sim = "contained", v.containment
    else:
        rel, sim = "near", v.jaccard
    return rel, round(sim, 4), ev


def shared_evidence(sig: np.ndarray, keeper_sig: np.ndarray, text: str, keeper_text: str,
                    config: DedupConfig) -> dict[str, Any]:
    """Explain mode: the Jaccard estimated from the signatures and a sample of shared text."""
    out: dict[str, Any] = {"estimated_jaccard": round(float(np.mean(sig == keeper_sig)), 4)}
    if config.shingle_kind == "word":
        words = normalized_words(text)
        theirs = " " + " ".join(normalized_words(keeper_text)) + " "
        n = config.shingle_size
        for i in range(max(0, len(words) - n + 1)):
            if " " + " ".join(words[i : i + n]) + " " in theirs:
                out["shared_text"] = " ".join(words[i : i + 3 * n])
                break
    return out


