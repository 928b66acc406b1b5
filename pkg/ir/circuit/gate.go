package circuit

import (
	"math"
	"math/cmplx"
)

// Gate is a gate of the circuit IR's table. Controls are not part of the
// gate: a CNOT is X with one control (Op.Controls).
type Gate uint8

// The gates. Matrices are those of OpenQASM 3's stdgates.inc (U3 is
// OpenQASM 3's U, which equals Qiskit's U3).
const (
	GateInvalid Gate = iota
	I
	X
	Y
	Z
	H
	S
	Sdg
	T
	Tdg
	SX   // sqrt(X)
	SXdg // its inverse
	RX   // (theta)
	RY   // (theta)
	RZ   // (theta)    diag(e^-i theta/2, e^i theta/2)
	P    // (lambda)   diag(1, e^i lambda); u1
	U2   // (phi, lambda) = U3(pi/2, phi, lambda)
	U3   // (theta, phi, lambda)
	Swap
	RXX // (theta)     exp(-i theta/2 X⊗X)
	RYY // (theta)     exp(-i theta/2 Y⊗Y)
	RZZ // (theta)     exp(-i theta/2 Z⊗Z)
	// GPhase (gamma) acts on no qubit: it multiplies the state by e^i gamma,
	// or, with controls, the part of it where the controls hold.
	GPhase
	numGates
)

// Class describes the structure of a gate's matrix, for fast paths.
type Class uint8

// Gate classes.
const (
	General     Class = iota
	Diagonal          // the matrix is diagonal
	Permutation       // one non-zero per row and column (X, Y, Swap)
)

type gateInfo struct {
	name    string
	targets int
	params  int
	class   Class
}

var gates = [numGates]gateInfo{
	I: {"id", 1, 0, Diagonal}, X: {"x", 1, 0, Permutation}, Y: {"y", 1, 0, Permutation},
	Z: {"z", 1, 0, Diagonal}, H: {"h", 1, 0, General}, S: {"s", 1, 0, Diagonal},
	Sdg: {"sdg", 1, 0, Diagonal}, T: {"t", 1, 0, Diagonal}, Tdg: {"tdg", 1, 0, Diagonal},
	SX: {"sx", 1, 0, General}, SXdg: {"sxdg", 1, 0, General}, RX: {"rx", 1, 1, General},
	RY: {"ry", 1, 1, General}, RZ: {"rz", 1, 1, Diagonal}, P: {"p", 1, 1, Diagonal},
	U2: {"u2", 1, 2, General}, U3: {"u3", 1, 3, General}, Swap: {"swap", 2, 0, Permutation},
	RXX: {"rxx", 2, 1, General}, RYY: {"ryy", 2, 1, General}, RZZ: {"rzz", 2, 1, Diagonal},
	GPhase: {"gphase", 0, 1, Diagonal},
}

// GateNamed returns the gate with the given table name ("x", "u3", ...).
func GateNamed(name string) (Gate, bool) {
	for g := Gate(1); g < numGates; g++ {
		if gates[g].name == name {
			return g, true
		}
	}
	return GateInvalid, false
}

// Valid reports whether g is a gate of the table.
func (g Gate) Valid() bool { return g > GateInvalid && g < numGates }

// String returns the gate's table name.
func (g Gate) String() string {
	if !g.Valid() {
		return "invalid"
	}
	return gates[g].name
}

// Targets is the number of qubits the gate acts on, controls excluded.
func (g Gate) Targets() int { return gates[g].targets }

// NumParams is the number of real parameters the gate takes.
func (g Gate) NumParams() int { return gates[g].params }

// Class reports the structure of the gate's matrix.
func (g Gate) Class() Class { return gates[g].class }

// Matrix returns the gate's 2^k x 2^k matrix (k = Targets) in row-major
// order for the parameter values p. Index bit j is the state of target j.
func (g Gate) Matrix(p []float64) []complex128 {
	const r = 1 / math.Sqrt2
	switch g {
	case I:
		return []complex128{1, 0, 0, 1}
	case X:
		return []complex128{0, 1, 1, 0}
	case Y:
		return []complex128{0, -1i, 1i, 0}
	case Z:
		return []complex128{1, 0, 0, -1}
	case H:
		return []complex128{r, r, r, -r}
	case S:
		return []complex128{1, 0, 0, 1i}
	case Sdg:
		return []complex128{1, 0, 0, -1i}
	case T:
		return []complex128{1, 0, 0, cmplx.Exp(1i * math.Pi / 4)}
	case Tdg:
		return []complex128{1, 0, 0, cmplx.Exp(-1i * math.Pi / 4)}
	case SX:
		return []complex128{(1 + 1i) / 2, (1 - 1i) / 2, (1 - 1i) / 2, (1 + 1i) / 2}
	case SXdg:
		return []complex128{(1 - 1i) / 2, (1 + 1i) / 2, (1 + 1i) / 2, (1 - 1i) / 2}
	case RX:
		c, s := cs(p[0])
		return []complex128{c, -1i * s, -1i * s, c}
	case RY:
		c, s := cs(p[0])
		return []complex128{c, -s, s, c}
	case RZ:
		return []complex128{phase(-p[0] / 2), 0, 0, phase(p[0] / 2)}
	case P:
		return []complex128{1, 0, 0, phase(p[0])}
	case U2:
		return u3(math.Pi/2, p[0], p[1])
	case U3:
		return u3(p[0], p[1], p[2])
	case Swap:
		return []complex128{1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1}
	case RXX:
		c, s := cs(p[0])
		ms := -1i * s
		return []complex128{c, 0, 0, ms, 0, c, ms, 0, 0, ms, c, 0, ms, 0, 0, c}
	case RYY:
		c, s := cs(p[0])
		is := 1i * s
		return []complex128{c, 0, 0, is, 0, c, -is, 0, 0, -is, c, 0, is, 0, 0, c}
	case RZZ:
		a, b := phase(-p[0]/2), phase(p[0]/2)
		return []complex128{a, 0, 0, 0, 0, b, 0, 0, 0, 0, b, 0, 0, 0, 0, a}
	case GPhase:
		return []complex128{phase(p[0])}
	}
	panic("circuit: Matrix of invalid gate")
}

// Inverse returns the gate and parameters whose matrix is the inverse of
// g's with parameters p.
func (g Gate) Inverse(p []Expr) (Gate, []Expr) {
	switch g {
	case I, X, Y, Z, H, Swap:
		return g, nil
	case S:
		return Sdg, nil
	case Sdg:
		return S, nil
	case T:
		return Tdg, nil
	case Tdg:
		return T, nil
	case SX:
		return SXdg, nil
	case SXdg:
		return SX, nil
	case RX, RY, RZ, P, RXX, RYY, RZZ, GPhase:
		return g, []Expr{Neg(p[0])}
	case U2: // U2(phi, lambda)^-1 = U3(-pi/2, -lambda, -phi)
		return U3, []Expr{Const(-math.Pi / 2), Neg(p[1]), Neg(p[0])}
	case U3:
		return U3, []Expr{Neg(p[0]), Neg(p[2]), Neg(p[1])}
	}
	panic("circuit: Inverse of invalid gate")
}

func cs(theta float64) (complex128, complex128) {
	return complex(math.Cos(theta/2), 0), complex(math.Sin(theta/2), 0)
}

func phase(a float64) complex128 { return cmplx.Exp(complex(0, a)) }

func u3(theta, phi, lambda float64) []complex128 {
	c, s := cs(theta)
	return []complex128{c, -phase(lambda) * s, phase(phi) * s, phase(phi+lambda) * c}
}
