"""ftfy cleaning (placeholder while the foundation lands)."""
from __future__ import annotations

from .config import CleanConfig
from .model import CleanReport, Document


def clean_text(text: str, config: CleanConfig | None = None) -> tuple[str, CleanReport]:
    import ftfy

    return ftfy.fix_text(text, (config or CleanConfig()).to_ftfy()), CleanReport()


def clean(doc: Document, config: CleanConfig | None = None) -> tuple[Document, CleanReport]:
    text, report = clean_text(doc.text, config)
    return Document(doc.id, text, doc.source, doc.line, doc.meta), report
