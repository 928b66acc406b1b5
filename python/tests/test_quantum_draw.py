"""sokr.quantum.draw: text diagrams of OpenQASM programs and CUDA-Q kernels, compared with
cudaq.draw where CUDA-Q's translation keeps the gates as they are."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from sokr import errors, quantum

QASM3 = 'OPENQASM 3; include "stdgates.inc"; '


def lines(text: str) -> list[str]:
    """The diagram's lines without trailing spaces, swaps (a diagonal cross) as X."""
    return [line.rstrip().replace("\u2573", "X") for line in text.rstrip("\n ").split("\n")]


def test_draw_packs_gates_into_columns_with_controls_and_measurements() -> None:
    text = quantum.draw(
        QASM3 + "qubit[3] q; bit[3] c; h q[0]; h q[1]; rx(0.25) q[2]; cx q[2], q[0]; cx q[0], q[1]; "
        "swap q[0], q[2]; c = measure q;"
    )
    assert lines(text) == [
        "        ╭───╮    ╭───╮        ╭────╮",
        "q0 : ───┤ h ├────┤ x ├──●───X─┤ mz ├",
        "        ├───┤    ╰─┬─╯╭─┴─╮ │ ├────┤",
        "q1 : ───┤ h ├──────┼──┤ x ├─┼─┤ mz ├",
        "     ╭──┴───┴───╮  │  ╰───╯ │ ├────┤",
        "q2 : ┤ rx(0.25) ├──●────────X─┤ mz ├",
        "     ╰──────────╯             ╰────╯",
    ]


def test_draw_names_parameters_or_takes_their_values() -> None:
    k = QASM3 + "input float theta; qubit[1] q; rz(2 * theta) q[0];"
    assert "rz(2 * theta)" in quantum.draw(k)
    assert "rz(1)" in quantum.draw(k, 0.5)
    with pytest.raises(errors.InvalidInputError, match="takes 1 parameter"):
        quantum.draw(k, 0.5, 1.0)


def test_draw_shows_negated_controls_conditions_and_several_controls() -> None:
    text = quantum.draw(
        QASM3 + "qubit[3] q; bit[1] c; negctrl @ x q[0], q[1]; ccx q[0], q[2], q[1]; "
        "c[0] = measure q[0]; if (c[0] == 1) x q[2];"
    )
    got = lines(text)
    assert "○" in got[1] and "●" in got[1]  # q0: a negated control, then a control
    assert "●" in got[5]  # q2 controls the ccx from below its target
    assert "┬" in got[4]  # the line leaves the box of q1 downwards
    assert "x if c==1" in got[5]  # c is a one-bit register: named whole


def test_draw_refuses_what_is_not_a_circuit() -> None:
    with pytest.raises(errors.InvalidInputError, match="empty"):
        quantum.draw("  ")
    with pytest.raises(TypeError, match="unexpected keyword"):
        quantum.draw(QASM3 + "qubit[1] q; h q[0];", colour="red")


@pytest.mark.cudaq
def test_draw_matches_cudaq_draw(optional: Callable[[str], ModuleType]) -> None:
    cudaq: Any = optional("cudaq")

    @cudaq.kernel
    def kernel(theta: float) -> None:
        q = cudaq.qvector(3)
        h(q[0])  # noqa: F821 - CUDA-Q kernel builtins
        h(q[1])  # noqa: F821
        rx(theta, q[2])  # noqa: F821
        x.ctrl(q[2], q[0])  # noqa: F821
        x.ctrl(q[0], q[1])  # noqa: F821
        ry(theta, q[1])  # noqa: F821

    assert lines(quantum.draw(kernel, 0.25)) == lines(cudaq.draw(kernel, 0.25))


def test_draw_shows_a_controlled_swap_reset_and_a_loop_and_leaves_out_global_phases() -> None:
    text = quantum.draw(
        QASM3 + "qubit[3] q; bit[1] c; gphase(0.5); ctrl @ gphase(0.2) q[0]; cswap q[1], q[0], q[2]; "
        "reset q[1]; barrier q; x q[1]; c[0] = measure q[1]; "
        "while (c[0] == 1) { x q[0]; c[0] = measure q[1]; }"
    )
    assert lines(text) == [
        "     ╭─────────────╮                       ╭─────────────╮",
        "q0 : ┤ gphase(0.2) ├─X─────────────────────┤ while(c==1) ├",
        "     ╰─────────────╯ │ ╭───────╮╭───╮╭────╮│             │",
        "q1 : ────────────────●─┤ reset ├┤ x ├┤ mz ├┤             ├",
        "                     │ ╰───────╯╰───╯╰────╯╰─────────────╯",
        "q2 : ────────────────X────────────────────────────────────",
    ]
