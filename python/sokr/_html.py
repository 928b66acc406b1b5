"""How much of a result its notebook display (``_repr_html_``) shows.

A result can hold a million outcomes, terms, nodes or outputs; its HTML shows at most
:data:`ROWS` of them and says how many it left out, so that displaying it stays a few
kilobytes whatever its size. The whole of it is in the object itself.
"""

from __future__ import annotations

#: The most rows a result's HTML table shows.
ROWS = 64


def more(shown: int, total: int, what: str) -> str:
    """The line under a table that shows ``shown`` of ``total`` rows ("" when it shows all)."""
    return "" if total <= shown else f"<p>… and {total - shown} more {what}</p>"
