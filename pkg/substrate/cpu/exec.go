package cpu

import (
	"sync"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/dirty"
	"github.com/sokr-rs/sokr/pkg/internal/kernels"
	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// groupGrain is the smallest share of a fused group worth a goroutine:
// below it the spawn costs more than the arithmetic saves.
const groupGrain = 1 << 15

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// run executes the plan on inputs. It stops between steps when the job is
// cancelled.
type run struct {
	s     *Substrate
	pl    *plan
	vals  []sokr.Tensor // per node: its data once computed
	owned []bool        // per node: the data was allocated by this run
	ws    kernels.Workspace
}

func (s *Substrate) execute(j *sokr.Job, pl *plan) (sokr.Result, error) {
	p := pl.prog
	r := run{s: s, pl: pl, vals: make([]sokr.Tensor, len(p.Nodes)), owned: make([]bool, len(p.Nodes))}
	for i, idx := range p.Params {
		r.vals[idx] = j.Inputs[i]
	}
	for i := range p.Nodes {
		if p.Nodes[i].Op == native.OpConst {
			r.vals[i] = sokr.Tensor{DType: p.Nodes[i].Type.DType, Shape: p.Nodes[i].Type.Shape, Data: pl.consts[i].Data}
		}
	}
	for _, st := range pl.steps {
		if err := j.Err(); err != nil {
			return sokr.Result{}, err
		}
		if err := r.step(st); err != nil {
			return sokr.Result{}, err
		}
	}
	out := make([]sokr.Output, len(p.Outputs))
	for i, idx := range p.Outputs {
		t := r.full(idx)
		if !r.owned[idx] || r.sharedWithEarlier(p.Outputs[:i], idx) {
			t.Data = append([]byte(nil), t.Data...)
		}
		out[i] = sokr.Output{Name: p.Nodes[idx].Name, Tensor: t}
	}
	return sokr.Result{Outputs: out}, nil
}

func (r *run) sharedWithEarlier(earlier []int, idx int) bool {
	d := unsafe.SliceData(r.vals[idx].Data)
	for _, e := range earlier {
		if unsafe.SliceData(r.vals[e].Data) == d && d != nil {
			return true
		}
	}
	return false
}

// full returns node i's value with all its elements (expanding a splat).
func (r *run) full(i int) sokr.Tensor {
	t := r.vals[i]
	if r.pl.splat[i] && !r.owned[i] {
		size := t.DType.Size()
		data := make([]byte, t.Shape.NumElements()*size)
		for o := 0; o < len(data); o += size {
			copy(data[o:o+size], t.Data[:size])
		}
		t.Data = data
		r.vals[i], r.owned[i] = t, true
	}
	return t
}

func (r *run) step(st step) error {
	p := r.pl.prog
	n := &p.Nodes[st.node]
	if n.Op == native.OpReshape {
		src := r.full(n.Args[0])
		r.vals[st.node] = sokr.Tensor{DType: n.Type.DType, Shape: n.Type.Shape, Data: src.Data}
		return nil
	}
	// Every kernel below writes all of its output, so the buffer need not be
	// zeroed first (which costs as much as a quarter of a large fused run).
	out := sokr.Tensor{DType: n.Type.DType, Shape: n.Type.Shape, Data: dirty.Bytes(int(n.Type.Bytes()))}
	r.vals[st.node], r.owned[st.node] = out, true
	workers := r.s.workers
	switch {
	case st.group != nil:
		g := st.group
		if g.n < groupGrain || workers == 1 {
			sc := scratchPool.Get().(*scratch)
			runGroup(g, r.vals, out.Data, 0, g.n, sc)
			scratchPool.Put(sc)
			return nil
		}
		parallelFor(workers, g.n, groupGrain, func(lo, hi int) {
			sc := scratchPool.Get().(*scratch)
			runGroup(g, r.vals, out.Data, lo, hi, sc)
			scratchPool.Put(sc)
		})
	case n.Op == native.OpBroadcast:
		a := r.full(n.Args[0])
		gather(out.Data, a.Data, n.Type.Shape, broadcastStrides(a.Shape, n.Type.Shape), n.Type.DType.Size())
	case n.Op == native.OpTranspose:
		a := r.full(n.Args[0])
		gather(out.Data, a.Data, n.Type.Shape, transposeStrides(a.Shape, n.Axes), n.Type.DType.Size())
	case n.Op.IsReduce():
		a := r.full(n.Args[0])
		reduce(n.Op, n.Type.DType, out.Data, a.Data, a.Shape, n.Axes, workers)
	case n.Op == native.OpMatmul:
		a, b := r.full(n.Args[0]), r.full(n.Args[1])
		return r.s.matmul(&r.ws, n.Type.DType, out.Data, a.Data, b.Data, a.Shape, b.Shape)
	default:
		return &sokr.FaultError{Substrate: r.s.name, Msg: "no kernel for op " + n.Op.String()}
	}
	return nil
}
