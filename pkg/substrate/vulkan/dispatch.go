//go:build cgo

package vulkan

import (
	"context"
	"errors"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sokr-rs/sokr/pkg/ir/circuit"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// pending is a submitted frame waiting for its fence.
type pending struct {
	job   *sokr.Job
	fr    *frame
	bufs  []*buffer // returned to the pool after completion
	stage *buffer
	// collect reads the results out of the staging buffer.
	collect func(stage []byte) (sokr.Result, error)
}

// completer is one goroutine per device that waits on the fences of the
// submitted frames, oldest first (one queue completes in order), and
// completes their jobs: no goroutine per dispatch.
type completer struct {
	s        *Substrate
	mu       sync.Mutex
	cond     *sync.Cond
	q        []*pending
	stopping bool
	done     chan struct{}
}

func newCompleter(s *Substrate) *completer {
	c := &completer{s: s, done: make(chan struct{})}
	c.cond = sync.NewCond(&c.mu)
	go c.run()
	return c
}

func (c *completer) push(p *pending) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.q = append(c.q, p)
	c.cond.Signal()
}

// stop lets the frames in flight finish and waits for the goroutine.
func (c *completer) stop() {
	c.mu.Lock()
	c.stopping = true
	c.cond.Signal()
	c.mu.Unlock()
	<-c.done
}

func (c *completer) run() {
	defer close(c.done)
	for {
		c.mu.Lock()
		for len(c.q) == 0 && !c.stopping {
			c.cond.Wait()
		}
		if len(c.q) == 0 {
			c.mu.Unlock()
			return
		}
		p := c.q[0]
		c.q[0] = nil
		c.q = c.q[1:]
		c.mu.Unlock()
		c.s.finish(p)
	}
}

// finish waits for p's fence, then completes its job.
func (s *Substrate) finish(p *pending) {
	defer func() {
		if r := recover(); r != nil {
			p.job.Fail(&sokr.FaultError{Substrate: s.name, Panic: r, Stack: string(debug.Stack())})
		}
	}()
	if err := s.await(p.fr); err != nil {
		p.job.Fail(err)
		return // the frame and buffers stay with the lost device
	}
	gpu := p.fr.elapsedNs()
	p.fr.release()
	res, err := p.collect(p.stage.bytes())
	s.putBuffers(append(p.bufs, p.stage))
	if err == nil {
		if res.Meta == nil {
			res.Meta = map[string]string{}
		}
		res.Meta["device"] = s.info.Name
		res.Meta["device_memory_bytes"] = deviceMeta(p.bufs)
		if s.info.TimestampBits > 0 {
			res.Meta["gpu_time_ns"] = strconv.FormatUint(gpu, 10)
		}
	}
	p.job.Complete(res, err)
}

// await waits for fr's fence, polling it for s.spin first. An error
// (VK_ERROR_DEVICE_LOST and the like) marks the device unusable.
func (s *Substrate) await(fr *frame) error {
	spin := s.spin
	for {
		r, err := fr.wait(spin, uint64(100*time.Millisecond))
		spin = 0
		if err != nil {
			s.lose(err)
			return s.fault("the device failed while running", err)
		}
		if r == waitDone {
			return nil
		}
	}
}

// lose marks the device unusable: Capability refuses from now on, saying
// why, and dispatches fail.
func (s *Substrate) lose(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.devErr == nil {
		s.devErr = err
	}
}

// Dispatch records the program's work in one command buffer and submits
// it; the device's completer completes the job when its fence signals.
func (s *Substrate) Dispatch(ctx context.Context, j *sokr.Job) {
	defer func() {
		if r := recover(); r != nil {
			j.Fail(&sokr.FaultError{Substrate: s.name, Panic: r, Stack: string(debug.Stack())})
		}
	}()
	if p, ok := j.Program.(*circuit.Program); ok {
		s.dispatchCircuit(ctx, j, p) // several submissions, on a goroutine of its own
		return
	}
	if p, ok := j.Program.(*nir.Program); ok && s.dispatchNIRChunks(ctx, j, p) {
		return // too long for one submission: several, on a goroutine of its own
	}
	d, err := s.device()
	if err != nil {
		j.Fail(s.fault("cannot open the device", err))
		return
	}
	defer s.active.Done()
	if ctx.Err() != nil {
		j.Fail(sokr.ContextError(ctx))
		return
	}
	j.Start()
	p, err := s.record(d, j)
	if err != nil {
		j.Fail(err)
		return
	}
	s.queue.push(p) // Close waits for active dispatches before it stops the queue
}

func (s *Substrate) fault(msg string, err error) error {
	if errors.Is(err, sokr.ErrClosed) {
		return err
	}
	return &sokr.FaultError{Substrate: s.name, Msg: msg + ": " + err.Error(), Err: err}
}

// work is what record needs to fill a frame: uploads, dispatches and
// downloads over device buffers, in one staging buffer.
type work struct {
	uploads   []transfer
	downloads []transfer
	steps     []step
	devBytes  []int64 // sizes of the device buffers the steps bind
	stage     int64   // staging bytes
	collect   func(stage []byte) (sokr.Result, error)
	fill      func(stage []byte) error
}

type transfer struct {
	buf        int // index into devBytes
	off, stage int64
	size       int64
}

type step struct {
	pipe   *pipeline
	binds  []stepBinding
	push   []byte
	groups [3]uint32
}

type stepBinding struct {
	buf         int
	off, length int64
}

// record builds the job's work, fills a frame and submits it.
func (s *Substrate) record(d *device, j *sokr.Job) (*pending, error) {
	w, err := s.work(d, j)
	if err != nil {
		return nil, err
	}
	return s.recordWork(d, w, j)
}

// runWork records w, submits it and waits for it on the calling goroutine
// (one of the submissions of a run that needs several), returning its
// results and the kernels' GPU time.
func (s *Substrate) runWork(d *device, w *work) (sokr.Result, uint64, error) {
	p, err := s.recordWork(d, w, nil)
	if err != nil {
		return sokr.Result{}, 0, err
	}
	if err := s.await(p.fr); err != nil {
		return sokr.Result{}, 0, err // the frame and buffers stay with the lost device
	}
	gpu := p.fr.elapsedNs()
	p.fr.release()
	res, err := p.collect(p.stage.bytes())
	s.putBuffers(append(p.bufs, p.stage))
	return res, gpu, err
}

// recordWork fills a frame with w and submits it; j is the job the
// completer completes (nil for runWork).
func (s *Substrate) recordWork(d *device, w *work, j *sokr.Job) (_ *pending, err error) {
	var bufs []*buffer
	var fr *frame
	kept := false // the buffers and frame went to the completer (or to a lost device)
	defer func() {
		if kept {
			return
		}
		// An error, or a panic on its way to Dispatch's recover: give back
		// what was taken. A frame being recorded is reset when next taken.
		if fr != nil {
			fr.release()
		}
		s.putBuffers(bufs)
	}()
	for _, n := range w.devBytes {
		b, err := s.getBuffer(d, n, false)
		if err != nil {
			return nil, s.fault("cannot allocate device memory", err)
		}
		bufs = append(bufs, b)
	}
	stage, err := s.getBuffer(d, max(w.stage, 4), true)
	if err != nil {
		return nil, s.fault("cannot allocate staging memory", err)
	}
	bufs = append(bufs, stage)
	if err := w.fill(stage.bytes()); err != nil {
		return nil, err
	}
	if fr, err = d.frame(); err != nil {
		return nil, s.fault("cannot record", err)
	}
	s.outside.Add(frameBytes) // a pooled frame counts as a fresh one
	for _, u := range w.uploads {
		fr.copy(stage, u.stage, bufs[u.buf], u.off, u.size)
	}
	fr.barrier()
	fr.timestamp(0)
	binds := make([]binding, 0, 4)
	for i, st := range w.steps {
		if i > 0 {
			fr.barrier()
		}
		binds = binds[:0]
		for _, b := range st.binds {
			binds = append(binds, binding{buf: bufs[b.buf], off: b.off, length: b.length})
		}
		if err := fr.dispatch(st.pipe, binds, st.push, st.groups); err != nil {
			return nil, s.fault("cannot record", err)
		}
	}
	fr.timestamp(1)
	fr.barrier()
	for _, dl := range w.downloads {
		fr.copy(bufs[dl.buf], dl.off, stage, dl.stage, dl.size)
	}
	fr.barrier()
	if err := fr.submit(); err != nil {
		if strings.Contains(err.Error(), "VK_ERROR_DEVICE_LOST") {
			s.lose(err)
			kept = true // the frame and buffers go with the lost device
			return nil, s.fault("the device was lost", err)
		}
		return nil, s.fault("cannot submit", err)
	}
	kept = true
	return &pending{job: j, fr: fr, bufs: bufs[:len(bufs)-1], stage: stage, collect: w.collect}, nil
}

// poolKey files free buffers by size class and memory kind.
type poolKey struct {
	class int64
	host  bool
}

// Buffers up to 64 MiB come in power-of-two sizes from 4 KiB, larger ones
// in whole MiB; at most poolPerClass of each, and poolMaxBytes in all, are
// kept for reuse.
const (
	poolPerClass = 4
	poolMaxBytes = 4 << 30
)

func sizeClass(n int64) int64 {
	if n > 64<<20 {
		return (n + 1<<20 - 1) &^ (1<<20 - 1)
	}
	c := int64(4096)
	for c < n {
		c <<= 1
	}
	return c
}

// getBuffer takes a buffer of at least size bytes from the pool, or
// allocates one. Either way it counts the host memory the buffer takes in
// AllocatedOutsideHeap, as a cold pool's run would allocate it.
func (s *Substrate) getBuffer(d *device, size int64, host bool) (*buffer, error) {
	k := poolKey{sizeClass(size), host}
	s.outside.Add(hostBytes(s.info, size, host))
	s.mu.Lock()
	if bs := s.pool[k]; len(bs) > 0 {
		b := bs[len(bs)-1]
		s.pool[k] = bs[:len(bs)-1]
		s.pooled -= b.size
		s.mu.Unlock()
		return b, nil
	}
	s.mu.Unlock()
	return d.newBuffer(k.class, host)
}

func (s *Substrate) putBuffers(bs []*buffer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range bs {
		k := poolKey{b.size, b.host}
		if s.closed || len(s.pool[k]) >= poolPerClass || s.pooled+b.size > poolMaxBytes {
			s.dev.freeBuffer(b)
			continue
		}
		s.pool[k] = append(s.pool[k], b)
		s.pooled += b.size
	}
}
