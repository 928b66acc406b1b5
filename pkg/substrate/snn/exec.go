package snn

import (
	"context"
	"fmt"
	"strings"

	"github.com/sokr-rs/sokr/pkg/internal/blas"
	"github.com/sokr-rs/sokr/pkg/internal/kernels"
	"github.com/sokr-rs/sokr/pkg/internal/neuron"
	"github.com/sokr-rs/sokr/pkg/internal/opt"
	"github.com/sokr-rs/sokr/pkg/internal/parallel"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// eventMaxDensity is the input density (fraction of nonzero inputs) up to
// which "auto" propagation is event-driven. Measured with
// BenchmarkPropagation (Linear(4096, 4096) over 1024 rows, f32, 2-core
// Zen 4; event-driven on one worker, OpenBLAS sgemm on two): 0.026 s
// against 0.17 s at 1% density, 0.092 s against 0.17 s at 10%, even at 20%
// (0.17 s); the runtime splits event-driven rows over both workers, which
// halves its times, so the crossover is near 40% and "auto" switches at
// 25%. The event-driven kernel has since become about 1.3 times faster (L1
// tiles, no products for spikes of amplitude 1; docs/benchmarks.md, "snn",
// 2026-12-05), which only moves the crossover up: 25% is kept.
const eventMaxDensity = 0.25

// chunkBytes bounds the memory of the per-chunk activations: a run is
// simulated this many steps at a time (layer by layer within a chunk). The
// bound counts two buffers per unit (chunkSteps), about four times what a
// feed-forward network allocates. Larger chunks make fewer, taller matrix
// products and fewer passes over a packed weight: for Linear(4096, 4096) +
// LIF at batch 16 on one Zen 4 core, 32 MiB (16 steps, 256 rows per
// product) took 2.95 s at 100% activity and 0.78 s at 10%, 128 MiB (64
// steps, 1024 rows) 2.65 s and 0.66 s, 256 MiB 2.63 s and 0.68 s (the
// event-driven scratch outgrows L2). See docs/benchmarks.md, "snn".
const chunkBytes = 128 << 20

// neuronGrain is the fewest neuron elements worth a goroutine.
const neuronGrain = 1 << 13

// state is what a run leaves for the next chunk of a session: neuron
// state, delay lines and the recent outputs recurrent edges read.
type state[F float] struct {
	steps     int // steps simulated so far
	batch     int
	v, cur    [][]F // per unit: [batch*n]
	delayRing [][]F // per opDelay unit: maxDelay rows of batch*size
	recRing   [][]F // per recurrent source: recurrent_delay rows of batch*size
	// delayPast and recPast are, per unit, how many steps before step 0
	// its ring holds (an initial_state's delay_line or recurrent history,
	// step s in row mod(s, rows)); steps before them read as 0.
	delayPast, recPast []int
}

func newState[F float](c *compiled[F], batch int) *state[F] {
	n := len(c.net.units)
	st := &state[F]{batch: batch, v: make([][]F, n), cur: make([][]F, n), delayRing: make([][]F, n), recRing: make([][]F, n),
		delayPast: make([]int, n), recPast: make([]int, n)}
	for i, u := range c.net.units {
		if u.op == opNeuron {
			st.v[i] = make([]F, batch*u.outSize())
			if u.neuron.model.current() {
				st.cur[i] = make([]F, batch*u.outSize())
			}
		}
		if u.op == opDelay {
			st.delayRing[i] = make([]F, c.units[i].maxDelay*batch*u.inSize())
		}
		if c.recSource[i] {
			st.recRing[i] = make([]F, c.sem.recurrentDelay*batch*u.outSize())
		}
	}
	st.setInitial(c)
	return st
}

// setInitial sets the neuron state variables as the "initial_state"
// option says (checked against the network by checkInitial): zero, v_leak,
// or given values, one per neuron (repeated over the batch) or per batch
// row and neuron.
func (st *state[F]) setInitial(c *compiled[F]) {
	for i, u := range c.net.units {
		if c.sem.initial == InitialGiven {
			vars := c.sem.initialValues[u.name]
			if vals := vars[neuron.DelayLine]; vals != nil && st.delayRing[i] != nil {
				st.delayPast[i] = setRows(st.delayRing[i], vals, c.units[i].maxDelay)
			}
			if vals := vars[neuron.Recurrent]; vals != nil && st.recRing[i] != nil {
				st.recPast[i] = setRows(st.recRing[i], vals, c.sem.recurrentDelay)
			}
		}
		if u.op != opNeuron {
			continue
		}
		switch c.sem.initial {
		case InitialVLeak:
			if vl := u.neuron.vLeak; vl != nil { // IF and I have no v_leak: they start at 0
				setValues(st.v[i], vl)
			}
		case InitialGiven:
			vars := c.sem.initialValues[u.name]
			setValues(st.v[i], vars["v"])
			if st.cur[i] != nil {
				setValues(st.cur[i], vars["i"])
			}
		}
	}
}

// setRows fills a ring of rows rows (dst: rows × batch × n) with the
// history vals, rows × n or rows × batch × n values oldest first, as steps
// −rows to −1 (row k is step k − rows, in row mod(k − rows, rows) = k),
// and returns how many steps before step 0 it now holds.
func setRows[F float](dst []F, vals []float64, rows int) int {
	if rows == 0 || len(dst)%rows != 0 {
		return 0
	}
	row := len(dst) / rows
	per := len(vals) / rows // n, or batch × n
	if per == 0 || len(vals)%rows != 0 || row%per != 0 {
		return 0
	}
	for k := range rows {
		setValues(dst[k*row:(k+1)*row], vals[k*per:(k+1)*per])
	}
	return rows
}

// mod is x mod m, in [0, m).
func mod(x, m int) int { return ((x % m) + m) % m }

// setValues copies vals into dst, repeated when dst holds several batch rows of
// them; it leaves dst alone when vals is empty or does not fit.
func setValues[F float](dst []F, vals []float64) {
	if len(vals) == 0 || len(dst)%len(vals) != 0 {
		return
	}
	for e := range dst {
		dst[e] = F(vals[e%len(vals)])
	}
}

// probe is one recorded quantity.
type probe[F float] struct {
	name  string // as requested, "lif.v"
	unit  int
	field string // "v", "i" or "spikes"
	data  []F    // [T, batch, size]
	shape []int
}

// counters are a run's statistics.
type counters struct {
	spikes, events, updates int64
	event, dense            bool // which propagation ran
}

// runner simulates one dispatch.
type runner[F float] struct {
	c       *compiled[F]
	st      *state[F]
	batch   int
	workers int
	blas    *blas.Lib
	out     [][]F // per unit: this chunk's output, [tc, batch, outSize]
	own     [][]F // per unit: storage for out, when the unit computes it
	sum     [][]F // per unit: storage for a summed input
	scratch []spmmScratch[F]
	probes  []*probe[F]
	byUnit  map[int][]*probe[F]
	cnt     counters
	chunk   int
	// Per-worker counts, made once rather than in every chunk.
	spikes, counts []int64
	// ws keeps the Go matrix kernel's packing buffers for the whole run.
	ws kernels.Workspace
	// direct maps a unit to the graph output (index into outputs) that
	// is its output unchanged: the unit computes its chunk straight into
	// that output rather than into own and a copy.
	direct  map[int]int
	outputs [][]F
}

// chunkSteps is how many steps a chunk holds: as many as fit chunkBytes,
// and no more than recurrent_delay when the network has a cycle (a
// recurrent edge then only reads outputs of earlier chunks).
func chunkSteps[F float](c *compiled[F], batch, steps int) int {
	var perStep int
	var z F
	for _, u := range c.net.units {
		perStep += 2 * batch * max(u.inSize(), u.outSize()) * sizeOf(z)
	}
	tc := max(1, min(steps, chunkBytes/max(perStep, 1)))
	if c.net.recurrent {
		tc = min(tc, c.sem.recurrentDelay)
	}
	return tc
}

func sizeOf[F float](F) int {
	var z F
	if _, ok := any(z).(float32); ok {
		return 4
	}
	return 8
}

func newRunner[F float](c *compiled[F], st *state[F], steps, workers int, lib *blas.Lib) *runner[F] {
	n := len(c.net.units)
	r := &runner[F]{c: c, st: st, batch: st.batch, workers: workers, blas: lib,
		out: make([][]F, n), own: make([][]F, n), sum: make([][]F, n), byUnit: map[int][]*probe[F]{},
		scratch: make([]spmmScratch[F], workers), spikes: make([]int64, workers), counts: make([]int64, workers)}
	r.chunk = chunkSteps(c, st.batch, steps)
	for i, u := range c.net.units {
		switch u.op {
		case opInput, opOutput, opFlatten:
		default:
			r.own[i] = make([]F, r.chunk*r.batch*u.outSize())
		}
		if len(u.inputs) > 1 || (len(u.inputs) == 1 && u.inputs[0].recurrent) {
			r.sum[i] = make([]F, r.chunk*r.batch*u.inSize())
		}
	}
	return r
}

// addProbes resolves the "record" names: "NODE.v", "NODE.i" (synaptic
// current), "NODE.spikes", and "NODE.out" or plain "NODE" (the node's
// output, for any node), NODE being a path such as "G.lif".
func (r *runner[F]) addProbes(names []string, steps int) error {
	for _, name := range names {
		ui, field := probeOf(r.c.net, name)
		if ui < 0 {
			return opt.Err(OptRecord, "probe %q: the graph has no node %q (want NODE, NODE.out, NODE.v, NODE.i or NODE.spikes)", name, field)
		}
		u := r.c.net.units[ui]
		ok := false
		switch field {
		case "out":
			ok = true
		case "v":
			ok = u.op == opNeuron
		case "i":
			ok = u.op == opNeuron && u.neuron.model.current()
		case "spikes":
			ok = (u.op == opNeuron && u.neuron.model.spiking()) || u.op == opThreshold
		}
		if !ok {
			return opt.Err(OptRecord, "probe %q: node %q (%s) has no %q to record", name, u.name, describeUnit(u), field)
		}
		p := &probe[F]{name: name, unit: ui, field: field, shape: u.outShape, data: make([]F, steps*r.batch*u.outSize())}
		r.probes = append(r.probes, p)
		r.byUnit[ui] = append(r.byUnit[ui], p)
	}
	return nil
}

// probeFields are what a probe "NODE.FIELD" can record.
var probeFields = map[string]bool{"out": true, "v": true, "i": true, "spikes": true}

// probeOf reads a probe name: the unit and the field it records. "NODE.F"
// with F a probe field and NODE a unit is that; otherwise a name that is a
// unit's path records its output ("out"). When neither, it returns -1 and
// the node name it looked for.
func probeOf(net *network, name string) (int, string) {
	if dot := strings.LastIndexByte(name, '.'); dot > 0 && probeFields[name[dot+1:]] {
		if ui := net.unitNamed(name[:dot]); ui >= 0 {
			return ui, name[dot+1:]
		}
	}
	if ui := net.unitNamed(name); ui >= 0 {
		return ui, "out"
	}
	if dot := strings.LastIndexByte(name, '.'); dot > 0 && probeFields[name[dot+1:]] {
		return -1, name[:dot]
	}
	return -1, name
}

func describeUnit(u *unit) string {
	switch u.op {
	case opNeuron:
		return string(u.neuron.model)
	case opInput:
		return "Input"
	case opOutput:
		return "Output"
	case opAffine:
		if u.bias == nil {
			return "Linear"
		}
		return "Affine"
	case opThreshold:
		return "Threshold"
	case opDelay:
		return "Delay"
	case opScale:
		return "Scale"
	case opConv:
		return "Conv"
	case opSumPool:
		return "SumPool2d"
	case opAvgPool:
		return "AvgPool2d"
	case opFlatten:
		return "Flatten"
	}
	return "node"
}

// run simulates steps steps of the inputs (each [steps, batch, ...] in F)
// and writes the outputs (each [steps, batch, ...]).
func (r *runner[F]) run(ctx context.Context, inputs [][]F, outputs [][]F, steps int) error {
	r.outputs, r.direct = outputs, map[int]int{}
	for k, ui := range r.c.net.outputs {
		// An Output with one (non-recurrent) source passes that source's
		// output through: the source may write into the graph output.
		ou := r.c.net.units[ui]
		if r.sum[ui] != nil || len(ou.inputs) != 1 {
			continue
		}
		src := ou.inputs[0].unit
		if _, taken := r.direct[src]; !taken && r.own[src] != nil {
			r.direct[src] = k
		}
	}
	for t0 := 0; t0 < steps; t0 += r.chunk {
		if err := ctx.Err(); err != nil {
			return sokr.ContextError(ctx)
		}
		tc := min(r.chunk, steps-t0)
		for i := range r.c.net.units {
			if err := r.unit(i, t0, tc, inputs); err != nil {
				return err
			}
			r.record(i, t0, tc, "out", r.out[i])
		}
		for k, ui := range r.c.net.outputs {
			size := r.batch * r.c.net.units[ui].outSize()
			dst, src := outputs[k][t0*size:(t0+tc)*size], r.out[ui][:tc*size]
			if len(dst) > 0 && &dst[0] != &src[0] { // not written in place
				copy(dst, src)
			}
		}
		r.pushRecurrent(tc)
		r.st.steps += tc
	}
	return nil
}

// input returns unit i's input for the chunk: its source's output, or the
// sum of its sources (recurrent ones read recurrent_delay steps back).
func (r *runner[F]) input(i, tc int) []F {
	u := r.c.net.units[i]
	n := tc * r.batch * u.inSize()
	if r.sum[i] == nil {
		return r.out[u.inputs[0].unit][:n]
	}
	x := r.sum[i][:n]
	clear(x)
	row := r.batch * u.inSize()
	d := r.c.sem.recurrentDelay
	for _, s := range u.inputs {
		if !s.recurrent {
			for e, v := range r.out[s.unit][:n] {
				x[e] += v
			}
			continue
		}
		ring := r.st.recRing[s.unit]
		for t := range tc {
			step := r.st.steps + t - d
			if step < -r.st.recPast[s.unit] {
				continue
			}
			slot := mod(step, d)
			src := ring[slot*row : (slot+1)*row]
			dst := x[t*row : (t+1)*row]
			for e, v := range src {
				dst[e] += v
			}
		}
	}
	return x
}

// pushRecurrent keeps the chunk's outputs that recurrent edges will read.
func (r *runner[F]) pushRecurrent(tc int) {
	d := r.c.sem.recurrentDelay
	for i, u := range r.c.net.units {
		if !r.c.recSource[i] {
			continue
		}
		row := r.batch * u.outSize()
		for t := range tc {
			slot := (r.st.steps + t) % d
			copy(r.st.recRing[i][slot*row:(slot+1)*row], r.out[i][t*row:(t+1)*row])
		}
	}
}

// unit computes unit i over the chunk [t0, t0+tc).
func (r *runner[F]) unit(i, t0, tc int, inputs [][]F) error {
	u, uc := r.c.net.units[i], &r.c.units[i]
	rows := tc * r.batch
	if u.op == opInput {
		k := indexOf(r.c.net.inputs, i)
		size := r.batch * u.outSize()
		r.out[i] = inputs[k][t0*size : (t0+tc)*size]
		return nil
	}
	x := r.input(i, tc)
	if r.own[i] == nil { // Output, Flatten: the data passes unchanged
		r.out[i] = x
		return nil
	}
	y := r.own[i][:rows*u.outSize()]
	if k, ok := r.direct[i]; ok {
		size := r.batch * u.outSize()
		y = r.outputs[k][t0*size : (t0+tc)*size]
	}
	r.out[i] = y
	switch u.op {
	case opNeuron:
		r.neuron(i, t0, tc, x, y)
	case opAffine:
		return r.affine(uc, rows, u.inSize(), u.outSize(), x, y)
	case opScale:
		n := len(uc.scale)
		for e := range y {
			y[e] = x[e] * uc.scale[e%n]
		}
	case opThreshold:
		n, amp := len(uc.threshold), F(r.c.sem.amplitude)
		for e := range y {
			if x[e] > uc.threshold[e%n] {
				y[e] = amp
				r.cnt.spikes++
			} else {
				y[e] = 0
			}
		}
		r.record(i, t0, tc, "spikes", y)
	case opConv:
		parallel.For(r.workers, rows, 1, func(_, lo, hi int) { convRows(u.conv, uc.conv, uc.bias, x, y, lo, hi) })
	case opSumPool, opAvgPool:
		pool(u.pool, u.op == opAvgPool, x, y, rows)
	case opDelay:
		r.delay(i, tc, x, y)
	default:
		return fmt.Errorf("node %q: unsupported operation", u.name)
	}
	return nil
}

func indexOf(s []int, v int) int {
	for k, x := range s {
		if x == v {
			return k
		}
	}
	return -1
}

// record copies a chunk of a unit's quantity into its probes.
func (r *runner[F]) record(i, t0, tc int, field string, data []F) {
	for _, p := range r.byUnit[i] {
		if p.field == field {
			size := r.batch * r.c.net.units[i].outSize()
			copy(p.data[t0*size:(t0+tc)*size], data[:tc*size])
		}
	}
}

// neuron advances a population over the chunk, split by neuron over the
// workers (neurons are independent), recording probes as it goes.
func (r *runner[F]) neuron(i, t0, tc int, x, y []F) {
	k := r.c.units[i].neuron
	v, cur := r.st.v[i], r.st.cur[i]
	e := len(v)
	var pv, pi []*probe[F]
	for _, p := range r.byUnit[i] {
		switch p.field {
		case "v":
			pv = append(pv, p)
		case "i":
			pi = append(pi, p)
		}
	}
	spikes := r.spikes
	clear(spikes)
	parallel.For(r.workers, e, neuronGrain, func(w, lo, hi int) {
		for t := range tc {
			xs, ys := x[t*e:(t+1)*e], y[t*e:(t+1)*e]
			spikes[w] += neuronStep(k, v, cur, xs, ys, lo, hi)
			at := (t0 + t) * e
			for _, p := range pv {
				copy(p.data[at+lo:at+hi], v[lo:hi])
			}
			for _, p := range pi {
				copy(p.data[at+lo:at+hi], cur[lo:hi])
			}
		}
	})
	for _, s := range spikes {
		r.cnt.spikes += s
	}
	r.cnt.updates += int64(tc * e)
	if k.reset != resetNone {
		r.record(i, t0, tc, "spikes", y)
	}
}

// affine computes y = x·Wᵀ + b over rows, event-driven or dense.
func (r *runner[F]) affine(uc *unitCode[F], rows, nin, nout int, x, y []F) error {
	mode := r.c.sem.propagation
	var nnz int64 = -1
	if mode == PropagationAuto {
		nnz = countNonzero(x)
		mode = PropagationDense
		if float64(nnz) <= eventMaxDensity*float64(rows*nin) {
			mode = PropagationEvent
		}
	}
	if mode == PropagationEvent {
		r.cnt.event = true
		wp := uc.packedWeight(r.workers)
		counts := r.counts
		clear(counts)
		parallel.For(r.workers, rows, 1, func(w, lo, hi int) {
			counts[w] = spmm(hi-lo, nin, nout, x[lo*nin:hi*nin], wp, uc.bias, y[lo*nout:hi*nout], &r.scratch[w])
		})
		nnz = 0
		for _, c := range counts {
			nnz += c
		}
		r.cnt.events += nnz * int64(nout)
		return nil
	}
	r.cnt.dense = true
	if nnz < 0 {
		nnz = countNonzero(x)
	}
	r.cnt.events += nnz * int64(nout)
	return gemm(r.blas, &r.ws, r.workers, rows, nin, nout, x, uc, y)
}

// gemm computes y = x·wᵀ + bias (x rows×nin, w nout×nin) through the
// BLAS when one is loaded, and the Go kernel otherwise (its packing
// buffers kept in ws).
func gemm[F float](lib *blas.Lib, ws *kernels.Workspace, workers, rows, nin, nout int, x []F, uc *unitCode[F], y []F) error {
	if rows == 0 || nout == 0 {
		return nil
	}
	if nin == 0 {
		fillBias(y, uc.bias, nout)
		return nil
	}
	if lib != nil {
		var beta F
		if uc.bias != nil {
			fillBias(y, uc.bias, nout)
			beta = 1
		}
		var err error
		switch xs := any(x).(type) {
		case []float32:
			err = lib.Sgemm(false, true, rows, nout, nin, 1, xs, nin, any(uc.denseWeight(workers)).([]float32), nin, float32(beta), any(y).([]float32), nout)
		case []float64:
			err = lib.Dgemm(false, true, rows, nout, nin, 1, xs, nin, any(uc.denseWeight(workers)).([]float64), nin, float64(beta), any(y).([]float64), nout)
		}
		if err != nil {
			return &sokr.FaultError{Substrate: Name, Msg: "matrix product through " + lib.Name() + " failed", Err: err}
		}
		return nil
	}
	if uc.wt == nil {
		uc.wt = make([]F, nin*nout)
		for o := range nout {
			for j := range nin {
				uc.wt[j*nout+o] = F(uc.src[o*nin+j])
			}
		}
	}
	switch xs := any(x).(type) {
	case []float32:
		ws.MatmulF32(any(y).([]float32), xs, any(uc.wt).([]float32), rows, nin, nout)
	case []float64:
		ws.MatmulF64(any(y).([]float64), xs, any(uc.wt).([]float64), rows, nin, nout)
	}
	if uc.bias != nil {
		for r := range rows {
			yr := y[r*nout : (r+1)*nout]
			for c, b := range uc.bias {
				yr[c] += b
			}
		}
	}
	return nil
}

func fillBias[F float](y, bias []F, n int) {
	for r := 0; r+n <= len(y); r += n {
		if bias == nil {
			clear(y[r : r+n])
		} else {
			copy(y[r:r+n], bias)
		}
	}
}

// delay computes y(t) = x(t − d) per element, reading steps before the
// chunk from the unit's ring of its last maxDelay inputs, then stores the
// chunk's inputs in the ring.
func (r *runner[F]) delay(i, tc int, x, y []F) {
	uc := &r.c.units[i]
	size := r.c.net.units[i].inSize()
	row := r.batch * size
	ring, dmax, s0 := r.st.delayRing[i], uc.maxDelay, r.st.steps
	for t := range tc {
		for e := range row {
			d := uc.delay[e%size]
			switch {
			case d <= t:
				y[t*row+e] = x[(t-d)*row+e]
			case s0+t-d < -r.st.delayPast[i]:
				y[t*row+e] = 0
			default:
				y[t*row+e] = ring[mod(s0+t-d, dmax)*row+e]
			}
		}
	}
	if dmax == 0 {
		return
	}
	for t := max(0, tc-dmax); t < tc; t++ {
		slot := (s0 + t) % dmax
		copy(ring[slot*row:(slot+1)*row], x[t*row:(t+1)*row])
	}
}
