"""A Scrapy item pipeline that drops duplicate items: ``DedupPipeline``.

Needs ``pip install 'segmenter[scrapy]'`` (and ``segmenter[redis]`` for a Redis index).

settings.py::

    ITEM_PIPELINES = {"segmenter.integrations.scrapy.DedupPipeline": 300}
    SEGMENTER_INDEX = "index.db"          # SQLite file, or "redis://host:6379/0"; None = memory
    SEGMENTER_TEXT_FIELD = "text"         # the item field holding the article text
    SEGMENTER_ID_FIELD = "url"            # the field that identifies an item (else spider:n)
    SEGMENTER_CLEAN = True                # repair the text with segmenter's ftfy defaults first
    SEGMENTER_DEDUP = {"threshold": 0.5}  # DedupConfig overrides

Every item is checked as it arrives (no batching) against the items before it in this crawl
and, with a persistent index, every earlier crawl. An item is dropped (``DropItem``, logged
with its reason) when it is an exact or near copy of an earlier item, is contained in one (a
teaser or abridged copy), or was indexed by an earlier crawl with the same id and text (it is
``seen``: every crawl is a new run of the index). An item that *contains* an earlier one (the
full article after its teaser) is kept. Stats counters:
``segmenter/kept``, ``segmenter/dropped``, ``segmenter/dropped/<exact|near|contained>``,
``segmenter/dropped/already_indexed``, ``segmenter/no_text``.
"""

from __future__ import annotations

from typing import Any

from ..config import DedupConfig, replace_checked
from ..dedup import Deduplicator
from ..model import Unit
from ..words import a

__all__ = ["DedupPipeline"]


class DedupPipeline:
    """Drops duplicate items (see the module docstring)."""

    def __init__(
        self,
        index: str | None = None,
        text_field: str = "text",
        id_field: str = "url",
        clean: bool = True,
        dedup: dict[str, Any] | None = None,
        stats: Any = None,
    ) -> None:
        self.index = index
        self.text_field = text_field
        self.id_field = id_field
        self.clean = clean
        self.config: DedupConfig = replace_checked(
            DedupConfig(split=False, batch_size=1), dedup or {}, "SEGMENTER_DEDUP"
        )
        self.stats = stats
        self._dedup: Deduplicator | None = None
        self._ids: set[str] = set()
        self._n = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        s = crawler.settings
        return cls(
            index=s.get("SEGMENTER_INDEX"),
            text_field=s.get("SEGMENTER_TEXT_FIELD", "text"),
            id_field=s.get("SEGMENTER_ID_FIELD", "url"),
            clean=s.getbool("SEGMENTER_CLEAN", True),
            dedup=dict(s.getdict("SEGMENTER_DEDUP")),
            stats=crawler.stats,
        )

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def open_spider(self, spider: Any = None) -> None:
        """Scrapy hook: start the deduplicator (and open its index)."""
        self._dedup = Deduplicator(self.config, index=self.index)

    def close_spider(self, spider: Any = None) -> None:
        """Scrapy hook: close the deduplicator (and its index)."""
        if self._dedup is not None:
            self._dedup.finish()
            self._dedup = None

    def process_item(self, item: Any, spider: Any = None) -> Any:
        """Scrapy hook: drop an item that duplicates one seen before, else pass it on."""
        from itemadapter import ItemAdapter
        from scrapy.exceptions import DropItem

        if self._dedup is None:
            self.open_spider(spider)
        assert self._dedup is not None
        adapter = ItemAdapter(item)
        text = adapter.get(self.text_field)
        if not isinstance(text, str) or not text.strip():
            self._inc("segmenter/no_text")
            return item
        self._n += 1
        name = getattr(spider, "name", None) or "spider"
        uid = adapter.get(self.id_field)
        uid = str(uid) if uid else f"{name}:{self._n}"
        if uid in self._ids:  # ids must be unique within one Deduplicator
            uid = f"{uid}~{self._n}"
        self._ids.add(uid)
        if self.clean:
            from ..clean import clean_text

            text = clean_text(text)[0]
        match = self._dedup.add_and_match(Unit(uid, text, source=name))
        if match is None:
            self._inc("segmenter/kept")
            return item
        self._inc("segmenter/dropped")
        if match.relation == "seen":
            self._inc("segmenter/dropped/already_indexed")
            raise DropItem(f"segmenter: {uid} was indexed by an earlier crawl (same id and text)")
        self._inc(f"segmenter/dropped/{match.relation}")
        raise DropItem(
            f"segmenter: {uid} is {a(str(match.relation))} duplicate of {match.duplicate_of} "
            f"(similarity {match.similarity})"
        )
