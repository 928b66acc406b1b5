"""``python -m sokr``: the ``sokr`` command (see :mod:`sokr.cli`)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
