"""The gopy-generated extension (``_sokr``) and its wrappers (``facade``, ``go``) are
built into this package by ``pip install .``; only ``sokr._native`` imports them."""
