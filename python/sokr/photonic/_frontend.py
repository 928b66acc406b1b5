"""The built-in front-end of Perceval objects, found by :mod:`sokr._frontends` when such an
object is made a program."""

from __future__ import annotations

from typing import Any

from ._perceval import from_perceval


class PercevalFrontend:
    """Perceval ``Processor`` and ``Experiment`` objects (and circuits, which lack an input
    state: pass those to sokr.photonic.from_perceval), through sokr.photonic."""

    name = "perceval"

    def accepts(self, obj: Any) -> bool:
        return hasattr(obj, "m")

    def lower(self, obj: Any) -> Any:
        return from_perceval(obj)
