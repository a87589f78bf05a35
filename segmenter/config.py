"""Frozen, validated configuration objects, one per stage, and the aggregate :class:`Config`.

Every library function takes ``config=``; the CLI builds these in one place. Values are validated
in ``__post_init__`` and a bad one raises :class:`ConfigError` saying how to fix it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError
from .split.config import SplitConfig

__all__ = [
    "CleanConfig",
    "Config",
    "DedupConfig",
    "ReadConfig",
    "SplitConfig",
    "load_config_file",
]


def _choice(name: str, value: object, allowed: tuple[object, ...]) -> None:
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ConfigError(f"{name} must be one of {shown}, got {value!r}")


@dataclass(frozen=True, slots=True)
class ReadConfig:
    """How inputs are read: formats, field names, and what to do with bad records."""

    format: Literal["auto", "txt", "jsonl", "parquet"] = "auto"
    id_field: str = "id"  # a dotted name (``meta.id``) reads a nested field
    text_field: str = "text"  # ``article.body`` reads {"article": {"body": ...}}
    glob: str = "*"
    encoding_errors: Literal["strict", "replace"] = "replace"
    on_error: Literal["fail", "skip"] = "fail"
    id_from: Literal["name", "path"] = "name"  # a .txt document's id: file name or path
    exclude: tuple[str, ...] = ()  # paths never read as input (the command's own outputs)
    # processes that clean, split and sign; 0: every core this process may use (the commands'
    # default; the library's is 1, no worker process: see engines.pool)
    jobs: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 0:
            raise ConfigError(f"jobs must be an integer >= 0 (0: every core this process may "
                              f"use), got {self.jobs!r}")
        _choice("format", self.format, ("auto", "txt", "jsonl", "parquet"))
        _choice("id_from", self.id_from, ("name", "path"))
        if isinstance(self.exclude, str) or not all(isinstance(p, str) for p in self.exclude):
            raise ConfigError("exclude must be a list of paths")
        object.__setattr__(self, "exclude", tuple(self.exclude))
        _choice("encoding_errors", self.encoding_errors, ("strict", "replace"))
        _choice("on_error", self.on_error, ("fail", "skip"))
        if not self.id_field or not self.text_field:
            raise ConfigError("id_field and text_field must be non-empty field names")


@dataclass(frozen=True, slots=True)
class CleanConfig:
    """ftfy settings. The default is conservative: it repairs mojibake, unescapes HTML entities
    when the text has no markup, removes control characters, normalises line breaks to ``\\n`` and
    applies NFC, but does not uncurl quotes, fold character width (CJK punctuation) or ligatures.
    """

    fix_encoding: bool = True
    unescape_html: Literal["auto"] | bool = "auto"
    remove_control_chars: bool = True
    fix_line_breaks: bool = True
    normalization: Literal["NFC", "NFKC", "NFD", "NFKD"] | None = "NFC"
    uncurl_quotes: bool = False
    fix_character_width: bool = False
    fix_latin_ligatures: bool = False
    fast_path: bool = True  # skip ftfy for text that provably needs no repair (same output)

    def __post_init__(self) -> None:
        _choice("unescape_html", self.unescape_html, ("auto", True, False))
        _choice("normalization", self.normalization, ("NFC", "NFKC", "NFD", "NFKD", None))

    def to_ftfy(self) -> Any:
        """The equivalent :class:`ftfy.TextFixerConfig`."""
        import ftfy

        return ftfy.TextFixerConfig(
            fix_encoding=self.fix_encoding,
            unescape_html=self.unescape_html,
            remove_control_chars=self.remove_control_chars,
            fix_line_breaks=self.fix_line_breaks,
            normalization=self.normalization,
            uncurl_quotes=self.uncurl_quotes,
            fix_character_width=self.fix_character_width,
            fix_latin_ligatures=self.fix_latin_ligatures,
            explain=False,
        )


_SHINGLE_RE = re.compile(r"^(word|char):([1-9][0-9]?)$")


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Near-duplicate detection parameters (see ``segmenter.dedup``).

    A candidate pair joins one cluster when its exact Jaccard similarity (on the normalised
    shingle sets) reaches ``threshold`` (``near``), or when at least ``containment`` of the
    smaller unit's shingles are in the larger one and the smaller unit has at least
    ``min_contained`` shingles (``contained``: a teaser, an abridged copy).

    ``block`` (on by default): containment wherever the copied text sits in the longer unit
    (:mod:`segmenter.reuse`): candidates also come from sampled shingles, and the shorter unit
    is a copy when runs of shared shingles (blocks) cover ``containment`` of all its shingles,
    or ``copy_share`` of its story content (prose lines) over at least two paragraphs. The
    ``head`` table is then not used in memory (block candidates find prefix copies too).
    """

    threshold: float = 0.5  # Jaccard similarity for a `near` duplicate
    containment: float = 0.7  # share of the smaller unit's shingles in the larger (`contained`)
    num_perm: int = 128
    shingle: str = "word:5"  # word:N, or char:N (used automatically for text without spaces)
    keep: Literal["complete", "longest", "first"] = "complete"
    seed: int = 1
    split: bool = True  # dedup stories (split first) rather than whole documents
    char_size: int = 5  # char n-gram size for text without spaces under word shingles (0 = never)
    head: int = 32  # shingles in the head sketch that finds truncated copies (0 = off)
    min_contained: int = 8  # fewest shingles a unit needs to be linked by containment
    bands: int = 16  # LSH bands per table ...
    rows: int = 3  # ... of this many signature values each (bands * rows <= num_perm)
    max_bucket: int = 64  # keys kept per LSH bucket (caps candidates from shared templates)
    batch_size: int = 512  # units signed and queried together (one numpy batch)
    index_batch_size: int = 4096  # ... and with a persistent index (one transaction each)
    explain: bool = False  # keep signatures and texts for richer `evidence` (more memory)
    block: bool = True  # block containment: a copy wherever the shared block sits (issue 13)
    copy_share: float = 0.44  # share of the shorter unit's story a shared block must cover
    block_sample: int = 32  # block candidates from the shingles whose hash is 0 mod this

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"threshold must be in (0.0, 1.0], got {self.threshold}")
        if not 0.0 < self.containment <= 1.0:
            raise ConfigError(f"containment must be in (0.0, 1.0], got {self.containment}")
        if not 16 <= self.num_perm <= 1024:
            raise ConfigError(f"num_perm must be between 16 and 1024, got {self.num_perm}")
        if not _SHINGLE_RE.match(self.shingle):
            raise ConfigError(
                "shingle must look like 'word:5' or 'char:12' (N from 1 to 99), "
                f"got {self.shingle!r}"
            )
        _choice("keep", self.keep, ("complete", "longest", "first"))
        if not 0 <= self.char_size <= 99:
            raise ConfigError(f"char_size must be between 0 (off) and 99, got {self.char_size}")
        if self.head < 0:
            raise ConfigError(f"head must be >= 0 (0 turns the head sketch off), got {self.head}")
        if self.min_contained < 1:
            raise ConfigError(f"min_contained must be >= 1, got {self.min_contained}")
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm:
            raise ConfigError(
                f"bands*rows must be between 1 and num_perm ({self.num_perm}), got "
                f"{self.bands}*{self.rows}; lower bands or rows"
            )
        if self.max_bucket < 1:
            raise ConfigError(f"max_bucket must be >= 1, got {self.max_bucket}")
        if not 0.0 < self.copy_share <= 1.0:
            raise ConfigError(f"copy_share must be in (0.0, 1.0], got {self.copy_share}")
        if self.block_sample < 1 or self.block_sample & (self.block_sample - 1):
            raise ConfigError(f"block_sample must be a power of two >= 1, got {self.block_sample}")
        if self.batch_size < 1 or self.index_batch_size < 1:
            raise ConfigError(f"batch_size and index_batch_size must be >= 1, got "
                              f"{self.batch_size} and {self.index_batch_size}")

    @property
    def shingle_kind(self) -> str:
        return self.shingle.split(":", 1)[0]

    @property
    def shingle_size(self) -> int:
        return int(self.shingle.split(":", 1)[1])


@dataclass(frozen=True, slots=True)
class Config:
    """All stages' configuration."""

    read: ReadConfig = field(default_factory=ReadConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "<config>") -> Config:
        """Build from a ``{"read": {...}, "clean": {...}, ...}`` mapping (unknown keys are
        errors)."""
        parts: dict[str, Any] = {}
        kinds = {"read": ReadConfig, "clean": CleanConfig, "split": SplitConfig,
                 "dedup": DedupConfig}
        for key, value in data.items():
            if key == "check":  # the CI gate's thresholds are read by check.py
                continue
            if key not in kinds:
                raise ConfigError(f"{source}: unknown section [{key}]; known: {', '.join(kinds)}")
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: [{key}] must be a table")
            parts[key] = replace_checked(kinds[key](), value, f"{source} [{key}]")
        return cls(**parts)


def replace_checked(obj: Any, changes: Mapping[str, Any], where: str = "config") -> Any:
    """``dataclasses.replace`` that names unknown fields instead of raising a TypeError."""
    names = {f.name for f in dataclasses.fields(obj)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown option(s) {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(names))}")
    return dataclasses.replace(obj, **dict(changes))


def load_config_file(start: Path | None = None) -> tuple[dict[str, Any], str | None]:
    """Find ``segmenter.toml`` or ``[tool.segmenter]`` in ``pyproject.toml``, in ``start`` or
    a parent folder.

    Returns the mapping and the file it came from (``({}, None)`` when there is none).
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / "segmenter.toml"
        if own.is_file():
            try:
                return tomllib.loads(own.read_text("utf-8")), str(own)
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{own}: {exc}") from exc
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{pyproject}: {exc}") from exc
            section = data.get("tool", {}).get("segmenter")
            if section is not None:
                return dict(section), f"{pyproject} [tool.segmenter]"
    return {}, None
