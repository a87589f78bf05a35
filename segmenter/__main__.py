"""``python -m segmenter``."""

from .cli import main

main(prog_name="segmenter")
