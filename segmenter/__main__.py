"""``python -m segmenter``."""

from .cli import main

if __name__ == "__main__":  # not when a --jobs worker process imports the main module
    main(prog_name="segmenter")
