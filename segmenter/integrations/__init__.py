"""Adapters for the tools scrapers use: :mod:`segmenter.integrations.scrapy` (``DedupPipeline``)."""
