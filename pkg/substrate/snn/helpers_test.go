package snn

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/sokr-rs/sokr/pkg/internal/blas"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/stretchr/testify/require"
)

// chainNet builds input -> units... -> output, each unit reading the one
// before it; shape is the input's per-sample shape.
func chainNet(t testing.TB, shape []int, units ...*unit) *network {
	t.Helper()
	all := []*unit{{name: "input", op: opInput, inShape: shape, outShape: shape}}
	for _, u := range units {
		u.inputs = []source{{unit: len(all) - 1}}
		all = append(all, u)
	}
	last := all[len(all)-1]
	all = append(all, &unit{name: "output", op: opOutput, inShape: last.outShape, outShape: last.outShape, inputs: []source{{unit: len(all) - 1}}})
	net, err := order(all)
	require.NoError(t, err)
	net.inputs = []int{net.unitNamed("input")}
	net.outputs = []int{net.unitNamed("output")}
	return net
}

// runNet simulates net with the given options and returns the outputs.
func runNet(t testing.TB, net *network, params map[string]any, in ...sokr.Tensor) ([]sokr.Output, counters) {
	t.Helper()
	sem, err := parseSemantics(params)
	require.NoError(t, err)
	steps, batch, err := checkInputs(net, in)
	require.NoError(t, err)
	lib, _ := blas.Load()
	if sem.precision == sokr.F64 {
		c, err := compile[float64](net, sem)
		require.NoError(t, err)
		out, cnt, err := simulate(context.Background(), c, newState(c, batch), in, steps, runtime.GOMAXPROCS(0), lib)
		require.NoError(t, err)
		return out, cnt
	}
	c, err := compile[float32](net, sem)
	require.NoError(t, err)
	out, cnt, err := simulate(context.Background(), c, newState(c, batch), in, steps, runtime.GOMAXPROCS(0), lib)
	require.NoError(t, err)
	return out, cnt
}

// lifCSV reads a recording of the NIR paper's LIF experiment: per step the
// input, the membrane voltage and the spike (testdata/nir/README.md).
func lifCSV(t testing.TB, name string) (input, v []float64, spikes []int) {
	t.Helper()
	f, err := os.Open(filepath.Join(testdata, name))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	for step, row := range rows {
		var vals [3]float64
		for c := range vals {
			vals[c], err = strconv.ParseFloat(row[c], 64)
			require.NoError(t, err)
		}
		input = append(input, vals[0])
		v = append(v, vals[1])
		if vals[2] != 0 {
			spikes = append(spikes, step)
		}
	}
	return input, v, spikes
}

// testdata is the repository's NIR test data (testdata/nir at the root;
// its README gives provenance and licence).
var testdata = filepath.Join("..", "..", "..", "testdata", "nir")

func randSlice(rng *rand.Rand, n int, lo, hi float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = lo + (hi-lo)*rng.Float64()
	}
	return s
}

func f64s[F float](x []F) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func viewF64(t sokr.Tensor) []float64 {
	if t.DType == sokr.F64 {
		return sokr.View[float64](t)
	}
	return f64s(sokr.View[float32](t))
}

// order sorts hand-built units topologically (networkOf takes the order
// nir.Flat gives), over the non-recurrent edges, marking as
// recurrent every edge that closes a cycle (found by depth-first search
// from the inputs, then from every unit in name order, so that the choice
// is deterministic). It returns the network with units renumbered.
func order(units []*unit) (*network, error) {
	byName := make(map[string]int, len(units))
	for i, u := range units {
		if _, dup := byName[u.name]; dup {
			return nil, fmt.Errorf("two nodes are called %q", u.name)
		}
		byName[u.name] = i
	}
	consumers := make([][]int, len(units)) // unit -> units that read it
	for i, u := range units {
		for _, s := range u.inputs {
			consumers[s.unit] = append(consumers[s.unit], i)
		}
	}
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(units))
	back := map[[2]int]bool{} // (src, dst) edges that close a cycle
	var post []int
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		for _, c := range consumers[i] {
			switch color[c] {
			case white:
				visit(c)
			case grey:
				back[[2]int{i, c}] = true
			}
		}
		color[i] = black
		post = append(post, i)
	}
	roots := make([]int, 0, len(units))
	for i, u := range units {
		if u.op == opInput {
			roots = append(roots, i)
		}
	}
	rest := make([]int, 0, len(units))
	for i := range units {
		rest = append(rest, i)
	}
	slices.SortFunc(rest, func(a, b int) int { return compareStrings(units[a].name, units[b].name) })
	for _, i := range append(roots, rest...) {
		if color[i] == white {
			visit(i)
		}
	}
	slices.Reverse(post) // reverse post-order is topological on the forward edges
	pos := make([]int, len(units))
	for k, i := range post {
		pos[i] = k
	}
	net := &network{units: make([]*unit, len(units))}
	for k, i := range post {
		u := *units[i]
		u.inputs = make([]source, len(units[i].inputs))
		for j, s := range units[i].inputs {
			rec := back[[2]int{s.unit, i}] || s.unit == i
			u.inputs[j] = source{unit: pos[s.unit], recurrent: rec}
			net.recurrent = net.recurrent || rec
		}
		net.units[k] = &u
	}
	return net, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
