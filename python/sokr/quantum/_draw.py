"""sokr.quantum.draw: a circuit as a text diagram, drawn as CUDA-Q's ``cudaq.draw`` draws one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Box-drawing characters by the directions their lines leave the cell (up, down, left,
# right), so that a box border crossing a wire or another border merges into one character.
_DIRS: dict[str, frozenset[str]] = {
    "─": frozenset("lr"),
    "│": frozenset("ud"),
    "╭": frozenset("dr"),
    "╮": frozenset("dl"),
    "╰": frozenset("ur"),
    "╯": frozenset("ul"),
    "├": frozenset("udr"),
    "┤": frozenset("udl"),
    "┬": frozenset("lrd"),
    "┴": frozenset("lru"),
    "┼": frozenset("udlr"),
}
_CHAR = {v: k for k, v in _DIRS.items() if k not in "╭╮╰╯"} | {
    frozenset("dr"): "╭",
    frozenset("dl"): "╮",
    frozenset("ur"): "╰",
    frozenset("ul"): "╯",
}


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, (int, float)) else str(v)


def _label(op: dict[str, Any]) -> str:
    if op["kind"] == "measure":
        return "mz"
    if op["kind"] == "reset":
        return "reset"
    params = op.get("params") or []
    return str(op["gate"]) + (f"({', '.join(_fmt(v) for v in params)})" if params else "")


def _flatten(ops: Sequence[dict[str, Any]], cond: str = "") -> list[tuple[dict[str, Any], str]]:
    """(op, label) per drawn op: conditional branches unrolled with their condition in the
    label, barriers kept (they align the columns), noise channels left out."""
    out: list[tuple[dict[str, Any], str]] = []
    for op in ops:
        kind = op["kind"]
        if kind == "if":
            out += _flatten(op.get("then") or [], f" if {op['cond']}")
            out += _flatten(op.get("else") or [], f" if !({op['cond']})")
        elif kind == "while":
            body = _flatten(op.get("then") or [])
            qubits = sorted({q for o, _ in body for q in o["qubits"]})
            if qubits:
                out.append(({"kind": "while", "qubits": qubits, "controls": 0}, f"while({op['cond']})"))
        elif kind in ("gate", "measure", "reset", "barrier"):
            if kind == "gate" and not op["qubits"]:
                continue  # a global phase: nothing to draw
            out.append((op, _label(op) + cond if kind != "barrier" else ""))
    return out


def _width(op: dict[str, Any], label: str) -> int:
    if op["kind"] == "gate" and op["gate"] == "swap":
        return 3
    return len(label) + 4


def render(ops: Sequence[dict[str, Any]], qubits: int) -> str:
    """The diagram of ``ops`` (as the extension's CircuitOps lists them) on ``qubits`` wires."""
    items = _flatten(ops)
    # Columns, filled as early as each op's wires allow; an op holds every wire between its
    # first and its last so that its vertical line crosses no other op.
    free = [0] * qubits
    columns: list[list[tuple[dict[str, Any], str]]] = []
    for op, label in items:
        qs = op["qubits"]
        lo, hi = min(qs), max(qs)
        col = max(free[lo : hi + 1])
        if op["kind"] == "barrier":
            for q in range(lo, hi + 1):
                free[q] = col
            continue
        if col == len(columns):
            columns.append([])
        columns[col].append((op, label))
        for q in range(lo, hi + 1):
            free[q] = col + 1
    widths = [max(_width(op, label) for op, label in c) for c in columns]
    total = sum(widths)
    grid = [list(("─" if r % 2 else " ") * total) for r in range(2 * qubits + 1)]

    def merge(r: int, x: int, dirs: str) -> None:
        old = _DIRS.get(grid[r][x])
        grid[r][x] = _CHAR[old | frozenset(dirs)] if old is not None else _CHAR[frozenset(dirs)]

    def put(r: int, x: int, text: str) -> None:
        grid[r][x : x + len(text)] = list(text)

    start = 0
    for column, w in zip(columns, widths, strict=True):
        for op, label in column:
            _draw_op(op, label, start + (w - _width(op, label)) // 2, merge, put)
        start += w
    names = [f"q{i}" for i in range(qubits)]
    pad = max((len(n) for n in names), default=0)
    lines = []
    for r, row in enumerate(grid):
        head = f"{names[r // 2]:<{pad}} : " if r % 2 else " " * (pad + 3)
        lines.append((head + "".join(row)).rstrip())
    return "\n".join(lines) + "\n"


def _draw_op(op: dict[str, Any], label: str, x0: int, merge: Any, put: Any) -> None:
    qs = op["qubits"]
    nc = int(op.get("controls") or 0)
    controls, targets = qs[:nc], sorted(qs[nc:])
    negated = set(op.get("negated") or [])
    if op["kind"] == "gate" and op["gate"] == "swap":
        x = x0 + 1
        lo, hi = min(qs), max(qs)
        for r in range(2 * lo + 1, 2 * hi + 2):
            merge(r, x, "ud")
        for t in targets:
            put(2 * t + 1, x, "\u2573")  # a diagonal cross, as cudaq.draw draws a swap
        top_edge = bottom_edge = None
    else:
        if not targets:  # a controlled global phase: its box on the last control
            controls, targets = controls[:-1], controls[-1:]
        bw = len(label) + 4
        x = x0 + bw // 2
        tlo, thi = targets[0], targets[-1]
        top_edge, bottom_edge = 2 * tlo, 2 * thi + 2
        for i in range(bw):
            merge(top_edge, x0 + i, "dr" if i == 0 else "dl" if i == bw - 1 else "lr")
            merge(bottom_edge, x0 + i, "ur" if i == 0 else "ul" if i == bw - 1 else "lr")
        for r in range(top_edge + 1, bottom_edge):
            inner = " " * (bw - 2)
            if r == 2 * tlo + 1:
                inner = f" {label} "
            if (r - 1) // 2 in targets and r % 2:
                put(r, x0, "┤" + inner + "├")
            else:
                put(r, x0, "│" + inner + "│")
    for i, c in enumerate(controls):
        put(2 * c + 1, x, "○" if i in negated else "●")
    above = [c for c in controls if c < targets[0]]
    below = [c for c in controls if c > targets[-1]]
    if above:
        end = top_edge if top_edge is not None else 2 * targets[0] + 1
        for r in range(2 * min(above) + 2, end):
            if not (r % 2 and (r - 1) // 2 in controls):
                merge(r, x, "ud")
        if top_edge is not None:
            merge(top_edge, x, "u")
    if below:
        begin = bottom_edge if bottom_edge is not None else 2 * targets[-1] + 1
        for r in range(begin + 1, 2 * max(below) + 1):
            if not (r % 2 and (r - 1) // 2 in controls):
                merge(r, x, "ud")
        if bottom_edge is not None:
            merge(bottom_edge, x, "d")
