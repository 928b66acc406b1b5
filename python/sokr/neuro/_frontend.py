"""The built-in front-end of ``nir.NIRGraph`` objects, found by :mod:`sokr._frontends` when
such an object is made a program."""

from __future__ import annotations

import json
from typing import Any

from . import _json_default


class NIRFrontend:
    """``nir.NIRGraph`` objects, through their dict form."""

    name = "nir"

    def accepts(self, obj: Any) -> bool:
        return type(obj).__name__ == "NIRGraph"

    def lower(self, obj: Any) -> tuple[str, bytes]:
        return ("nir/1", json.dumps(obj.to_dict(), default=_json_default).encode())
