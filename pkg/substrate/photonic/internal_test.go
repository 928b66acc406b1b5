package photonic

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// TestPanicsBecomeFaults: a program changed after it was verified (a
// component on a mode out of range) makes the model panic inside
// Dispatch, and a corrupt model makes the run panic; both fail the job
// with a FaultError and the stack, and nothing escapes.
func TestPanicsBecomeFaults(t *testing.T) {
	s := testSubstrate()
	p := parse(t, "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1\n")
	require.NoError(t, verified(p))
	p.Ops[0].Modes = []int{0, 5}
	j := sokr.NewJob(context.Background(), p, nil, sokr.Options{})
	require.NotPanics(t, func() { s.Dispatch(j, j) })
	_, err := j.Future().Wait(context.Background())
	var fe *sokr.FaultError
	require.ErrorAs(t, err, &fe)
	assert.NotNil(t, fe.Panic)
	assert.Contains(t, fe.Stack, "photonic")

	md := modelOf(parse(t, "sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1\n"))
	bad := *md
	bad.photon = []int{0, 7} // an occupied mode that does not exist
	for _, o := range []*options{{mode: ModeSample, shots: 100}, {mode: ModeProbabilities}, {mode: ModeProbabilities, outputs: []ir.FockState{{1, 1}}}} {
		_, err := s.run(context.Background(), &bad, o, Cost{})
		require.ErrorAs(t, err, &fe, "mode %s", o.mode)
		assert.NotNil(t, fe.Panic)
	}
}

// TestDistributionCancelled stops SLOS mid-layer: 7 photons in 26 modes
// are 3.4 million amplitudes, some hundreds of milliseconds.
func TestDistributionCancelled(t *testing.T) {
	in := make(ir.FockState, 26)
	for i := range 7 {
		in[i] = 1
	}
	p := build(t, ir.NewBuilder(26).Input(in...).Unitary(allModes(26), identity(26)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := distribution(ctx, modelOf(p), 2)
	assert.ErrorIs(t, err, sokr.ErrDeadlineExceeded)
	t.Logf("stopped after %v", time.Since(start))
}

func identity(m int) []complex128 {
	u := make([]complex128, m*m)
	for i := range m {
		u[i*m+i] = 1
	}
	return u
}

// TestCountRecordsPacked: records that pack into 64 bits (sorted as
// numbers) and records that do not (sorted as slices) count the same as
// a map filled shot by shot, with padding (lost photons) and repeated
// modes (bunching, and the largest mode next to the padding).
func TestCountRecordsPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for _, c := range []struct{ n, m int }{{3, 5}, {8, 32}, {10, 63}, {10, 64}, {16, 300}} {
		shots := 2000
		recs := make([]uint16, shots*c.n)
		want := ir.Counts{}
		for s := range shots {
			rec := recs[s*c.n : (s+1)*c.n]
			occ := make(ir.FockState, c.m)
			for i := range rec {
				switch r.IntN(4) {
				case 0:
					rec[i] = noMode
				case 1:
					rec[i] = uint16(c.m - 1)
				default:
					rec[i] = uint16(r.IntN(min(c.m, 3)))
				}
				if rec[i] != noMode {
					occ[rec[i]]++
				}
			}
			slices.Sort(rec)
			want[occ.String()]++
		}
		got, err := countRecords(context.Background(), recs, shots, c.n, c.m)
		require.NoError(t, err)
		assert.Equal(t, want, got, "n=%d m=%d", c.n, c.m)
	}
}
