//go:build cgo

package vulkan

// Circuits on the GPU: a sokr.circuit/1 program is planned by
// pkg/internal/qsim, the planner statevec uses (the same fusion, the same
// options, the same sampler), and its passes run on a state vector held in
// device memory (circuit_kernels.go, kernels/q*.comp). Static circuits are
// simulated once: sampling downloads the probabilities (never the state)
// and draws the shots on the host with qsim.SampleProbs and the seeded
// stream statevec uses; observe reduces Z strings on the device, one
// rotated copy per qubit-wise commuting group; get_state copies the state
// back once. Dynamic circuits run by trajectories (circuit_dynamic.go).

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime/debug"
	"strconv"
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/internal/footprint"
	"github.com/sokr-rs/sokr/pkg/internal/qcost"
	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// circuitOptions are a circuit run's parsed options.
type circuitOptions struct {
	qsim.Options
	dbl bool // complex128
}

func circuitOptionError(name, format string, args ...any) error {
	return &sokr.InputError{Index: -1, Msg: fmt.Sprintf("vulkan option %q: ", name) + fmt.Sprintf(format, args...)}
}

// circuitRefusal says why the device cannot run p at all, or "".
func (s *Substrate) circuitRefusal(p *circuit.Program) string {
	if len(p.Unsupported) > 0 {
		u := p.Unsupported[0]
		return fmt.Sprintf("%s%s is not supported by the state-vector simulator", u.Feature, qsim.At(u.Pos))
	}
	var reason string
	circuit.Walk(p.Ops, func(o *circuit.Op) {
		if reason == "" && o.Kind == circuit.OpChannel {
			reason = qsim.CheckChannel(o)
		}
	})
	if reason != "" {
		return reason
	}
	if s.info.MaxInvocations < 256 || s.info.MaxGroupSize[0] < 256 {
		return fmt.Sprintf("vulkan's circuit kernels need workgroups of 256 invocations; %s allows %d", s.info.Name, s.info.MaxInvocations)
	}
	if s.info.MaxStoragePerStage < qChunks+2 {
		return fmt.Sprintf("vulkan's circuit kernels bind %d storage buffers; %s allows %d", qChunks+2, s.info.Name, s.info.MaxStoragePerStage)
	}
	return s.tooBig(p, 8)
}

// perShot reports whether p runs by trajectories (qsim's plan is not
// static): a reset of a used qubit counts, which p.Dynamic does not.
// unitaryOnly is observe's and get_state's reading of the program.
func perShot(p *circuit.Program, unitaryOnly bool) bool {
	return p.Dynamic() || !qsim.StaticRun(p, unitaryOnly) // StaticRun copies no op: Capability asks this
}

// circuitCopies is how many states a run of p holds: a second for
// trajectories.
func circuitCopies(p *circuit.Program) int64 {
	if perShot(p, false) {
		return 2
	}
	return 1
}

// tooBig says why an n-qubit state of amp-byte amplitudes does not fit
// the device, or "".
func (s *Substrate) tooBig(p *circuit.Program, amp int64) string {
	n := p.Qubits
	c, why := chunksFor(s.info, n, amp, s.cfg.MaxChunkBytes)
	copies := circuitCopies(p)
	dev := s.info.DeviceLocalBytes
	if why == "" && (dev == 0 || uint64(copies*c.stateBytes()) <= dev) {
		return ""
	}
	prec := "complex64"
	if amp == 16 {
		prec = "complex128"
	}
	twice := ""
	if copies > 1 {
		twice = ", twice over for per-shot simulation"
	}
	most := maxCircuitQubits(s.info, amp, s.cfg.MaxChunkBytes, copies)
	msg := fmt.Sprintf("needs %d qubits (%s as %s%s); %s holds at most %d (%s)", n,
		sokr.FormatBytes(footprint.Mul(copies, amp<<min(n, 56))), prec, twice, s.name, most,
		sokr.FormatBytes(int64(min(dev, uint64(footprint.Max)))))
	if why != "" && n <= most {
		msg = why
	}
	return msg
}

// circuitCapability answers Capability for a circuit: the default run
// (sampling in complex64).
func (s *Substrate) circuitCapability(p *circuit.Program) sokr.Offer {
	if why := s.circuitRefusal(p); why != "" {
		return sokr.No(s, why)
	}
	o := &circuitOptions{Options: qsim.Options{Mode: qsim.ModeSample, Shots: qsim.DefaultShots, Trajectories: qsim.DefaultTrajectories,
		Precision: qsim.Complex64}}
	return sokr.Yes(s, s.circuitEstimateFor(p, o))
}

// circuitEstimateFor is a run's estimate: its host memory (circuitUsage)
// and time. The time is qcost's model (latency + gates·2^n·time per gate
// and amplitude), both constants measured on this device on first use (see
// qcost.Lazy), a run of trajectories counting its gates once per shot. A
// CPU driver gives no time (see Config.EstimateCPU), so that the default
// policy keeps circuits on statevec, which runs them faster on the same
// cores.
func (s *Substrate) circuitEstimateFor(p *circuit.Program, o *circuitOptions) sokr.Estimate {
	amp := int64(8)
	if o.dbl {
		amp = 16
	}
	c, _ := chunksFor(s.info, p.Qubits, amp, s.cfg.MaxChunkBytes)
	est := sokr.Estimate{MemoryBytes: circuitUsage(p, o, c, s.info).host}
	if s.info.Type == "cpu" && !s.cfg.EstimateCPU {
		return est
	}
	gates := qcost.Gates(p)
	if perShot(p, o.Mode != qsim.ModeSample) {
		gates *= max(o.Shots, o.Trajectories)
	}
	est.Time = s.cost.Time(s, p.Qubits, gates, qcost.Options{"precision": string(o.Precision)})
	return est
}

// circuitUsage is a circuit run's memory: the states, aux and out on the
// device, the staging buffer and the results on the host (plus the device
// buffers where device memory is host memory). Sampling holds the
// probabilities three times over as float64 (qsim.SampleProbs' cumulative
// sums and counts).
func circuitUsage(p *circuit.Program, o *circuitOptions, c chunking, dev info) usage {
	var t footprint.Tally
	t.Add(runOverhead)
	t.Add(footprint.Mul(4, frameBytes))
	states, outReals, down := circuitBuffers(p, o, c)
	n := min(p.Qubits, 56)
	switch {
	case o.Mode == qsim.ModeSample && !perShot(p, false):
		t.Object(footprint.Mul(3*8, int64(1)<<n)) // the probabilities, their sums and counts
	case o.Mode == qsim.ModeState:
		t.Object(c.amp << n)
	case o.ShotsGiven || (o.Mode == qsim.ModeSample && !p.Measured()):
		t.Object(footprint.Mul(3*8, int64(1)<<n))
	}
	device := footprint.Mul(states*int64(c.nchunks), classBytes(c.chunkBytes()))
	for range states * int64(c.nchunks) {
		t.Add(hostBytes(dev, c.chunkBytes(), false))
	}
	aux, out := 4*(qFixedWords(p)+qSegWords), max(outReals*(c.amp/2), 256)
	device = footprint.Add(device, classBytes(aux)+classBytes(out))
	t.Add(hostBytes(dev, aux, false))
	t.Add(hostBytes(dev, out, false))
	t.Add(hostBytes(dev, qStageBytes(down), true))
	if perShot(p, o.Mode != qsim.ModeSample) {
		t.Object(footprint.Mul(int64(8*max(o.Shots, o.Trajectories)), int64(p.Clbits+len(o.Terms)+1)))
	}
	t.Add(circuitPlanBytes(p, o))
	if ks, err := kernels(); err == nil {
		for k := range qkCount {
			t.Add(pipelineBytes(len(ks[kQInit+kernel(k)].Words), 3, "main", specialization{}))
		}
	}
	return usage{host: t.Bytes(), device: device}
}

// circuitPlanBytes bounds what planning and recording p allocates on the
// Go heap: the ops kept, every gate evaluated, the passes (fused or not)
// and, per pass, its descriptor words (qpassDesc, and their copy in the
// aux segment, which holds at most qSegWords) and recorded command; a
// noise channel's operators and passes. As statevec's planBytes, a fused
// block's cost is shared by the fewest gates it holds.
func circuitPlanBytes(p *circuit.Program, o *circuitOptions) int64 {
	passCost := func(k int) int64 {
		d := int64(1) << k
		return 3*footprint.Object(16*d*d) + 4*footprint.Object(8*d) + footprint.Object(4*(qDesc+4*d*d))*2 +
			int64(unsafe.Sizeof(qsim.Pass{})) + 2*int64(unsafe.Sizeof(qcmd{})) + 32 + 512
	}
	return qsim.PlanBytes(p, o.Fusion, qsim.PlanCosts{
		Pass:     passCost,
		Block:    passCost,
		Gate:     func(*circuit.Op) int64 { return int64(unsafe.Sizeof(qsim.Gate{})) },
		Collapse: 1024,
		Step:     int64(unsafe.Sizeof(qsim.Step[*qsim.Pass]{})),
	})
}

// circuitOptionsOf reads a dispatch's options: qsim's, with complex64 the
// default precision (as CUDA-Q's nvidia target: fp32 unless asked), and
// complex128 only on devices with shaderFloat64.
func (s *Substrate) circuitOptionsOf(p *circuit.Program, opts sokr.Options) (*circuitOptions, error) {
	q, err := qsim.ParseOptions(p, opts)
	if err != nil {
		if ie, ok := errors.AsType[*sokr.InputError](err); ok {
			ie.Msg = "vulkan " + ie.Msg
		}
		return nil, err
	}
	o := &circuitOptions{Options: *q}
	if _, given := opts.Params["precision"]; !given {
		o.Precision = qsim.Complex64
	}
	if o.Precision == qsim.Complex128 {
		if !s.info.features["Float64"] {
			return nil, circuitOptionError("precision", "complex128 needs shaderFloat64, which %s (%s) does not have; use complex64, or the statevec substrate",
				s.name, s.info.Name)
		}
		o.dbl = true
	}
	if o.Method == qsim.MethodDensity {
		return nil, circuitOptionError("method", "%q is not simulated on the GPU; the statevec substrate runs it (vulkan runs \"statevector\" and \"trajectories\")", o.Method)
	}
	return o, nil
}

// prepareCircuit checks a circuit dispatch's program, inputs and options.
func (s *Substrate) prepareCircuit(p *circuit.Program, inputs []sokr.Tensor, opts sokr.Options) ([]float64, *circuitOptions, chunking, error) {
	if why := s.circuitRefusal(p); why != "" {
		return nil, nil, chunking{}, &sokr.ProgramError{Format: circuit.Format, Msg: s.name + " cannot run this program: " + why}
	}
	if err := p.Validate(); err != nil {
		return nil, nil, chunking{}, err
	}
	params, err := qsim.InputParams(p, inputs)
	if err != nil {
		return nil, nil, chunking{}, err
	}
	o, err := s.circuitOptionsOf(p, opts)
	if err != nil {
		return nil, nil, chunking{}, err
	}
	amp := int64(8)
	if o.dbl {
		amp = 16
		if why := s.tooBig(p, amp); why != "" {
			return nil, nil, chunking{}, circuitOptionError("precision", "complex128: %s; use complex64", why)
		}
	}
	c, _ := chunksFor(s.info, p.Qubits, amp, s.cfg.MaxChunkBytes)
	return params, o, c, nil
}

// estimateCircuitRun is EstimateRun for a circuit.
func (s *Substrate) estimateCircuitRun(p *circuit.Program, inputs []sokr.Tensor, opts sokr.Options) (sokr.Estimate, error) {
	_, o, c, err := s.prepareCircuit(p, inputs, opts)
	if err != nil {
		return sokr.Estimate{}, err
	}
	if why := deviceRefusal(circuitUsage(p, o, c, s.info), s.info); why != "" {
		return sokr.Estimate{}, &sokr.NoCapableError{Format: p.Format(), Offers: []sokr.Offer{sokr.No(s, why)}}
	}
	return s.circuitEstimateFor(p, o), nil
}

// dispatchCircuit runs a circuit on its own goroutine: it submits several
// command buffers and waits for each (see qrun).
func (s *Substrate) dispatchCircuit(ctx context.Context, j *sokr.Job, p *circuit.Program) {
	params, o, c, err := s.prepareCircuit(p, j.Inputs, j.Options)
	if err != nil {
		j.Fail(err)
		return
	}
	if why := deviceRefusal(circuitUsage(p, o, c, s.info), s.info); why != "" {
		j.Fail(&sokr.NoCapableError{Format: p.Format(), Offers: []sokr.Offer{sokr.No(s, why)}})
		return
	}
	d, err := s.device()
	if err != nil {
		j.Fail(s.fault("cannot open the device", err))
		return
	}
	if ctx.Err() != nil {
		s.active.Done()
		j.Fail(sokr.ContextError(ctx))
		return
	}
	s.runOwn(j, func(j *sokr.Job) (sokr.Result, error) { return s.runCircuit(d, j, p, params, o, c) })
}

// runOwn runs a job that takes several submissions on a goroutine of its
// own (the device open: s.active counts it until it ends); a panic
// becomes a FaultError with the stack.
func (s *Substrate) runOwn(j *sokr.Job, fn func(j *sokr.Job) (sokr.Result, error)) {
	go func() {
		defer s.active.Done() // Close waits for the run
		j.Run(s.name, func(j *sokr.Job) (res sokr.Result, err error) {
			defer func() {
				if r := recover(); r != nil {
					err = &sokr.FaultError{Substrate: s.name, Panic: r, Stack: string(debug.Stack())}
				}
			}()
			return fn(j)
		})
	}()
}

// qStaticStream is the random stream of a static circuit's sampling,
// statevec's staticStream: the same seed draws the same shots.
const qStaticStream = ^uint64(0)

// circuitRunner holds a circuit run's plan and meta.
type circuitRunner struct {
	s    *Substrate
	j    *sokr.Job
	p    *circuit.Program
	o    *circuitOptions
	c    chunking
	pl   *qsim.Plan[*qsim.Pass]
	meta map[string]string
	r    *qrun
}

func (s *Substrate) runCircuit(d *device, j *sokr.Job, p *circuit.Program, params []float64, o *circuitOptions, c chunking) (sokr.Result, error) {
	pl, err := qsim.Compile(p, params, o.Mode != qsim.ModeSample, func(gs []qsim.Gate) []*qsim.Pass {
		return qsim.Passes(gs, o.Fusion)
	})
	if err != nil {
		return sokr.Result{}, err
	}
	cr := &circuitRunner{s: s, j: j, p: p, o: o, c: c, pl: pl, meta: map[string]string{
		"precision":   string(o.Precision),
		"gates":       strconv.Itoa(pl.Gates),
		"fused_gates": strconv.Itoa(len(pl.Prefix)),
		"fusion":      strconv.Itoa(o.Fusion),
		"mode":        string(o.Mode),
		"chunks":      strconv.Itoa(c.nchunks),
	}}
	if o.HasSeed {
		cr.meta["seed"] = strconv.FormatUint(o.Seed, 10)
	}
	if o.Mode == qsim.ModeState && !pl.Static {
		return sokr.Result{}, &sokr.InputError{Index: -1, Msg: "get_state needs a unitary circuit (terminal measurements are ignored), but this one has " +
			qsim.DynamicFeature(p) + "; use sample or observe, which simulate it shot by shot"}
	}
	var res sokr.Result
	switch {
	case !pl.Static:
		res, err = cr.trajectories(d)
	case o.Mode == qsim.ModeState:
		res, err = cr.state(d)
	case o.Mode == qsim.ModeObserve:
		res, err = cr.observe(d)
	default:
		res, err = cr.sample(d)
	}
	if cr.r != nil {
		cr.meta["submits"] = strconv.Itoa(cr.r.submits)
		cr.meta["dispatches"] = strconv.Itoa(cr.r.passes)
		if s.info.TimestampBits > 0 {
			cr.meta["gpu_time_ns"] = strconv.FormatUint(cr.r.gpuNs, 10)
		}
		cr.meta["device_memory_bytes"] = deviceMeta(cr.r.held)
		cr.r.release()
	}
	if err != nil {
		return sokr.Result{}, err
	}
	cr.meta["device"] = s.info.Name
	res.Meta = cr.meta
	return res, nil
}

// qFixedWords is the words of aux's fixed region: a dynamic circuit's
// classical bits, two scratch words and two flags per nesting depth of its
// branches (dynLayout), and spare words.
func qFixedWords(p *circuit.Program) int64 {
	return int64(p.Clbits) + 2 + 2*int64(branchDepth(p.Ops)) + 8
}

// open takes the run's buffers.
func (cr *circuitRunner) open(d *device, states int, outReals, downBytes int64) error {
	r, err := cr.s.newQrun(d, cr.j, cr.c, cr.o.dbl, states, uint32(qFixedWords(cr.p)), outReals, downBytes)
	if err != nil {
		return err
	}
	cr.r = r
	return nil
}

// initState records |0...0> into st.
func (cr *circuitRunner) initState(st []*buffer) {
	for c := range cr.c.nchunks {
		cr.r.dispatch(qkInit, st, [8]uint32{1: uint32(cr.c.chunkAmps()), 2: uint32(c)}, groupsFor(cr.c.chunkAmps(), 65535), cr.c.chunkAmps())
	}
}

// lowBits is the lowest bit a control is inserted at: every bit when the
// state is one chunk, else those from qMinChunkBits (see qcommon.glsl).
func (cr *circuitRunner) lowBits() int {
	if cr.c.nchunks == 1 {
		return 0
	}
	return qMinChunkBits
}

// apply records passes on st, submitting as the work grows.
func (cr *circuitRunner) apply(st []*buffer, ps []*qsim.Pass, cond []uint32) error {
	for _, p := range ps {
		if err := cr.applyOne(st, p, cond); err != nil {
			return err
		}
		if err := cr.r.due(); err != nil {
			return err
		}
	}
	return nil
}

// applyOne records one pass, predicated on the conditions at aux word
// cond[1] (cond nil: none; see qcond.glsl).
func (cr *circuitRunner) applyOne(st []*buffer, p *qsim.Pass, cond []uint32) error {
	at := cr.r.fixed + uint32(len(cr.r.seg))
	words, bases := passDesc(p, cr.c.n, cr.lowBits(), 0, cr.o.dbl)
	if len(cr.r.seg)+len(words) > cr.r.segCap {
		if err := cr.r.flush(); err != nil {
			return err
		}
		at = cr.r.fixed
	}
	words[7] += at
	if cond != nil {
		words[8], words[9] = cond[0], cond[1]
	}
	if _, err := cr.r.put(words); err != nil {
		return err
	}
	k := qkPass
	if p.K > 1 && p.Kind != qsim.Diag {
		k = qkPassN
	}
	cr.r.dispatch(k, st, [8]uint32{1: uint32(bases), 2: at}, groupsFor(bases, 65535), int64(1)<<cr.c.n)
	return nil
}

// probs records the probabilities of st's amplitudes into dst (len 2^n).
func (cr *circuitRunner) probs(st []*buffer, dst []float64) error {
	ca := cr.c.chunkAmps()
	for c := range cr.c.nchunks {
		cr.r.dispatch(qkProb, st, [8]uint32{1: uint32(ca), 2: uint32(c)}, groupsFor(ca, 65535), ca)
		part := dst[int64(c)*ca : int64(c+1)*ca]
		dbl := cr.o.dbl
		if err := cr.r.download(cr.r.out, 0, ca*cr.r.real, func(b []byte) { decodeReals(part, b, dbl) }); err != nil {
			return err
		}
	}
	return nil
}

// decodeReals reads float32 or float64 values.
func decodeReals(dst []float64, b []byte, dbl bool) {
	if dbl {
		for i := range dst {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return
	}
	for i := range dst {
		dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
}

// expZ records the Z-string expectations of st for masks, summed on the
// host from the device's partial sums into dst[t] (len(masks)). outAt is
// the first real of out it may use; it returns the next.
func (cr *circuitRunner) expZ(st []*buffer, masks []uint64, dst []float64, outAt int64) (int64, error) {
	ca := cr.c.chunkAmps()
	g := int64(groupsFor(ca, qWorkgroups))
	for lo := 0; lo < len(masks); lo += 8 {
		hi := min(lo+8, len(masks))
		nm := int64(hi - lo)
		mw := make([]uint32, nm)
		for t := range mw {
			mw[t] = uint32(masks[lo+t])
		}
		at, err := cr.r.put(mw)
		if err != nil {
			return 0, err
		}
		for c := range cr.c.nchunks {
			cr.r.dispatch(qkExpZ, st, [8]uint32{1: uint32(ca), 2: uint32(c), 3: uint32(nm), 4: uint32(outAt), 5: at}, uint32(g), ca)
			out := dst[lo:hi]
			dbl := cr.o.dbl
			if err := cr.r.download(cr.r.out, outAt*cr.r.real, g*nm*cr.r.real, func(b []byte) {
				part := make([]float64, g*nm)
				decodeReals(part, b, dbl)
				for k, v := range part {
					out[int64(k)%nm] += v
				}
			}); err != nil {
				return 0, err
			}
			outAt += g * nm
		}
	}
	return outAt, nil
}

// keyLayout returns whether p measures and the width of a counts key, and
// records the classical registers and shots in Meta (as statevec does).
func (cr *circuitRunner) keyLayout() (measured bool, width int) {
	measured, width, cr.meta["registers"] = qsim.KeyLayout(cr.p)
	cr.meta["shots"] = strconv.Itoa(cr.o.Shots)
	return measured, width
}

func (cr *circuitRunner) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(cr.o.Seed, stream))
}

// prefix opens the run and records the static prefix from |0...0>.
func (cr *circuitRunner) prefix(d *device, states int, outReals, downBytes int64) error {
	if err := cr.open(d, states, outReals, downBytes); err != nil {
		return err
	}
	cr.initState(cr.r.state)
	return cr.apply(cr.r.state, cr.pl.Prefix, nil)
}

// circuitBuffers sizes a run's buffers: the states it holds, the reals of
// out and the bytes of downloads a submission may carry.
func circuitBuffers(p *circuit.Program, o *circuitOptions, c chunking) (states int64, outReals, down int64) {
	real := c.amp / 2
	if perShot(p, o.Mode != qsim.ModeSample) {
		maxOps := 0
		circuit.Walk(p.Ops, func(op *circuit.Op) {
			if op.Kind == circuit.OpChannel && op.Channel != nil {
				maxOps = max(maxOps, len(op.Channel.Ops), 16)
			}
		})
		_, scratch := newDynLayout(p, c, maxOps)
		sampled := o.ShotsGiven && o.Mode == qsim.ModeObserve || o.Mode == qsim.ModeSample && !p.Measured()
		outReals, down = observeBuffers(c, len(o.Terms), sampled)
		states = 2
		if o.Mode == qsim.ModeObserve {
			states = 3
		}
		return states, max(outReals, scratch), max(down, 1<<20)
	}
	switch o.Mode {
	case qsim.ModeState:
		return 1, 0, c.amp << c.n
	case qsim.ModeObserve:
		outReals, down = observeBuffers(c, len(o.Terms), o.ShotsGiven)
		return 2, outReals, down
	}
	return 1, c.chunkAmps(), real << c.n
}

// qStageBytes is the staging buffer of a run whose submissions download
// at most down bytes: the aux segment, the downloads and slack for their
// 256-byte alignment.
func qStageBytes(down int64) int64 { return 4*qSegWords + down + 64<<10 }

func (cr *circuitRunner) sample(d *device) (sokr.Result, error) {
	n := cr.c.n
	states, outReals, down := circuitBuffers(cr.p, cr.o, cr.c)
	if err := cr.prefix(d, int(states), outReals, down); err != nil {
		return sokr.Result{}, err
	}
	cr.meta["method"] = "sampled"
	probs := make([]float64, 1<<n)
	if err := cr.probs(cr.r.state, probs); err != nil {
		return sokr.Result{}, err
	}
	if err := cr.r.flush(); err != nil {
		return sokr.Result{}, err
	}
	measured, width := cr.keyLayout()
	idx, cnt := qsim.SampleProbs(probs, cr.o.Shots, cr.rng(qStaticStream))
	measures := cr.pl.Measures
	if !measured {
		measures = nil
	} else if measures == nil {
		measures = []qsim.Measurement{}
	}
	return sokr.Result{Outputs: []sokr.Output{{Name: "counts", Value: qsim.Counts(idx, cnt, measures, width)}}}, nil
}

func (cr *circuitRunner) state(d *device) (sokr.Result, error) {
	n := cr.c.n
	states, outReals, down := circuitBuffers(cr.p, cr.o, cr.c)
	if err := cr.prefix(d, int(states), outReals, down); err != nil {
		return sokr.Result{}, err
	}
	cr.meta["method"] = "exact"
	dt := sokr.C64
	if cr.o.dbl {
		dt = sokr.C128
	}
	t := sokr.NewTensor(dt, 1<<n)
	cb := cr.c.chunkBytes()
	if cr.c.nchunks == 1 {
		cb = cr.c.amp << n
	}
	for c, b := range cr.r.state {
		dst := t.Data[int64(c)*cb : int64(c+1)*cb]
		if err := cr.r.download(b, 0, cb, func(src []byte) { copy(dst, src) }); err != nil {
			return sokr.Result{}, err
		}
	}
	if err := cr.r.flush(); err != nil {
		return sokr.Result{}, err
	}
	return sokr.Result{Outputs: []sokr.Output{{Name: "state", Tensor: t}}}, nil
}

func (cr *circuitRunner) observe(d *device) (sokr.Result, error) {
	terms := cr.o.Terms
	groups := qsim.GroupTerms(terms, cr.p.Qubits, cr.o.Fusion)
	cr.meta["groups"] = strconv.Itoa(len(groups))
	cr.meta["terms"] = strconv.Itoa(len(terms))
	shots := 0
	if cr.o.ShotsGiven {
		shots = cr.o.Shots
		cr.meta["shots"] = strconv.Itoa(shots)
	}
	n := cr.c.n
	states, outReals, down := circuitBuffers(cr.p, cr.o, cr.c)
	if err := cr.prefix(d, int(states), outReals, down); err != nil {
		return sokr.Result{}, err
	}
	cr.meta["method"] = "exact"
	if shots > 0 {
		cr.meta["method"] = "sampled"
	}
	out := make([]float64, len(terms))
	rng := cr.rng(qStaticStream)
	for _, g := range groups {
		st := cr.r.state
		if len(g.Rotation) > 0 {
			cr.r.copyState(cr.r.work, cr.r.state)
			if err := cr.apply(cr.r.work, g.Rotation, nil); err != nil {
				return sokr.Result{}, err
			}
			st = cr.r.work
		}
		v := make([]float64, len(g.Masks))
		if shots > 0 {
			probs := make([]float64, 1<<n)
			if err := cr.probs(st, probs); err != nil {
				return sokr.Result{}, err
			}
			if err := cr.r.flush(); err != nil {
				return sokr.Result{}, err
			}
			idx, cnt := qsim.SampleProbs(probs, shots, rng)
			for k, i := range idx {
				for t, m := range g.Masks {
					if bits.OnesCount64(uint64(i)&m)&1 == 0 {
						v[t] += float64(cnt[k])
					} else {
						v[t] -= float64(cnt[k])
					}
				}
			}
			for t := range v {
				v[t] /= float64(shots)
			}
		} else {
			if _, err := cr.expZ(st, g.Masks, v, 0); err != nil {
				return sokr.Result{}, err
			}
			if err := cr.r.flush(); err != nil {
				return sokr.Result{}, err
			}
		}
		for k, t := range g.Terms {
			out[t] = v[k]
		}
	}
	return sokr.Result{Outputs: []sokr.Output{{Name: "expectations", Tensor: sokr.FromSlice(out)}}}, nil
}

// observeBuffers sizes out (reals) and the downloads of observing terms
// on a state: one group's partial sums at a time, or its probabilities.
func observeBuffers(c chunking, terms int, sampled bool) (outReals, down int64) {
	batches := int64((terms + 7) / 8)
	outReals = batches * int64(c.nchunks) * qWorkgroups * 8
	down = outReals * (c.amp / 2)
	if sampled {
		outReals = max(outReals, c.chunkAmps())
		down = max(down, (c.amp/2)<<c.n)
	}
	return outReals, down + 256*batches*int64(c.nchunks)
}
