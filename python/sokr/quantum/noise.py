"""Noise models: channels attached to gates, simulated exactly on the density matrix for circuits
of up to 14 qubits, by quantum trajectories beyond (option ``method``: ``"density_matrix"``,
``"trajectories"``).

>>> from sokr.quantum import noise
>>> model = noise.NoiseModel()
>>> model.add_channel("h", [0], noise.DepolarizationChannel(0.01))
>>> model.add_all_qubit_channel("cx", noise.BitFlipChannel(0.02))
>>> len(model)
2
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np


class Channel:
    """A noise channel. Use one of the subclasses."""

    name = ""

    def __init__(self, probability: float) -> None:
        if isinstance(probability, bool) or not isinstance(probability, (int, float)):
            raise TypeError(f"{type(self).__name__} takes a probability, not {probability!r}")
        if not 0 <= probability <= 1:
            raise ValueError(f"{type(self).__name__} probability {probability} is not in [0, 1]")
        self.probability = float(probability)

    def _json(self) -> dict[str, Any]:
        return {"channel": self.name, "p": self.probability}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.probability})"


class DepolarizationChannel(Channel):
    """With probability p, one of X, Y, Z at random (each p/3); on a two-qubit gate one of the
    15 non-identity two-qubit Paulis (each p/15). CUDA-Q's definition."""

    name = "depolarizing"


class BitFlipChannel(Channel):
    """X with probability p."""

    name = "bit_flip"


class PhaseFlipChannel(Channel):
    """Z with probability p."""

    name = "phase_flip"


class AmplitudeDampingChannel(Channel):
    """Energy relaxation: |1> decays to |0> with probability p (Kraus operators
    [[1, 0], [0, √(1-p)]] and [[0, √p], [0, 0]])."""

    name = "amplitude_damping"


class PhaseDamping(Channel):
    """Dephasing: Kraus operators [[1, 0], [0, √(1-p)]] and [[0, 0], [0, √p]]."""

    name = "phase_damping"


class KrausChannel(Channel):
    """A channel given by its Kraus operators, 2^k x 2^k complex matrices on k qubits with
    Σ K†K = I. Row and column index bit j is the state of the channel's qubit j (the gate's
    qubit j, controls first)."""

    name = "kraus"

    def __init__(self, operators: Sequence[Any]) -> None:
        ops = [np.asarray(k, dtype=complex) for k in operators]
        if not ops:
            raise ValueError("KrausChannel needs at least one operator")
        d = ops[0].shape[0]
        for j, k in enumerate(ops):
            if k.ndim != 2 or k.shape != (d, d) or d & (d - 1) or d < 2:
                raise ValueError(f"Kraus operator {j} has shape {k.shape}; all must be 2^k x 2^k, alike")
        total = sum(k.conj().T @ k for k in ops)
        err = float(np.max(np.abs(total - np.eye(d))))
        if err > 1e-6:
            raise ValueError(f"Kraus operators are not trace preserving: Σ K†K differs from I by {err:.3g}")
        self.probability = 0.0
        self.operators = ops

    def _json(self) -> dict[str, Any]:
        return {
            "channel": "kraus",
            "ops": [{"re": k.real.ravel().tolist(), "im": k.imag.ravel().tolist()} for k in self.operators],
        }

    def __repr__(self) -> str:
        n = self.operators[0].shape[0].bit_length() - 1
        return f"KrausChannel({len(self.operators)} operators on {n} qubits)"


class NoiseModel:
    """Channels applied after gates, by gate name (as written in the program: ``"x"``,
    ``"cx"``, ``"h"``) and optionally by the exact qubits (controls first). A one-qubit
    channel after a multi-qubit gate acts on each of its qubits. The simulator refuses a
    model it cannot apply; it never drops noise."""

    def __init__(self) -> None:
        self._rules: list[tuple[str, list[int] | None, Channel]] = []

    def add_channel(self, gate: str, qubits: Sequence[int], channel: Channel) -> None:
        """Apply ``channel`` after every ``gate`` on exactly ``qubits``."""
        self._add(gate, [_qubit(q) for q in qubits], channel)

    def add_all_qubit_channel(self, gate: str, channel: Channel) -> None:
        """Apply ``channel`` after every ``gate`` (``"*"``: every gate), on any qubits."""
        self._add(gate, None, channel)

    def _add(self, gate: str, qubits: list[int] | None, channel: Channel) -> None:
        if not isinstance(gate, str) or not gate:
            raise TypeError(f"gate must be a gate name such as 'x' or 'cx', not {gate!r}")
        if not isinstance(channel, Channel):
            raise TypeError(f"channel must be a sokr.quantum.noise channel, not {type(channel).__name__}")
        self._rules.append((gate, qubits, channel))

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        rules = ", ".join(f"{g}{q if q is not None else ''}: {c!r}" for g, q, c in self._rules)
        return f"NoiseModel({rules})"

    def _json(self) -> str:
        return json.dumps([{"gate": g, "qubits": q, **c._json()} for g, q, c in self._rules])


def _qubit(q: Any) -> int:
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q < 0:
        raise TypeError(f"qubits are non-negative integers, not {q!r}")
    return int(q)
