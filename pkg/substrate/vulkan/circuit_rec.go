//go:build cgo

package vulkan

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// qrun records a circuit run's work and submits it in command buffers of
// bounded size, waiting for each on the run's goroutine, so that a
// cancelled run stops between them (a long circuit is many submissions).
//
// Device buffers: the state's chunks (and a second state, work, for
// observe's rotations and trajectories), aux (uint words: the fixed
// region's classical bits and scratch, then each submission's pass
// descriptors, matrices and uniforms, uploaded at its start) and out
// (reals: probabilities, partial sums). One staging buffer carries the
// uploads and downloads.
type qrun struct {
	s     *Substrate
	d     *device
	j     *sokr.Job
	c     chunking
	dbl   bool
	real  int64 // bytes of a real: 4 or 8
	pipes [qkCount]*pipeline

	state, work []*buffer
	extra       []*buffer // a third state: observe's rotations of a trajectory
	aux, out    *buffer
	stage       *buffer
	held        []*buffer // every buffer taken, given back by release

	fixed   uint32   // words of aux's fixed region
	seg     []uint32 // this submission's aux words, after the fixed region
	segCap  int      // the most words of a segment
	cmds    []qcmd
	weight  int64 // amplitudes the recorded commands touch
	downAt  int64 // next free staging byte for downloads
	gpuNs   uint64
	submits int
	passes  int
}

// qcmd is one recorded command.
type qcmd struct {
	barrier bool
	// copy: src chunks to dst chunks
	copySrc, copyDst []*buffer
	// a download of size bytes of buf at off, to staging stage
	down *qdown
	// a dispatch on the state st
	k      int
	st     []*buffer
	push   [8]uint32
	groups uint32
}

type qdown struct {
	buf       *buffer
	off, size int64
	stage     int64
	to        func([]byte)
}

// Limits of one submission: amplitudes touched (2^28, about 1 ms of an
// H100 at c64; 2^24 on CPU drivers, a fraction of a second on lavapipe),
// dispatches, and aux words.
const (
	qSubmitWeight     = 1 << 28
	qSubmitWeightCPU  = 1 << 24
	qSubmitDispatches = 4096
	qSegWords         = 1 << 20 // 4 MiB
)

// newQrun takes the buffers of a run: states copies of the state, fixed
// words of aux's fixed region, outReals reals of out and downBytes of
// staging for downloads.
func (s *Substrate) newQrun(d *device, j *sokr.Job, c chunking, dbl bool, states int, fixed uint32, outReals, downBytes int64) (_ *qrun, err error) {
	r := &qrun{s: s, d: d, j: j, c: c, dbl: dbl, real: c.amp / 2, fixed: fixed, segCap: qSegWords}
	defer func() {
		if err != nil {
			r.release()
		}
	}()
	for k := range qkCount {
		if r.pipes[k], err = s.qkernel(d, k, dbl); err != nil {
			return nil, s.fault("cannot create the circuit kernels", err)
		}
	}
	take := func(n int64, host bool) (*buffer, error) {
		b, err := s.getBuffer(d, n, host)
		if err != nil {
			what := "device"
			if host {
				what = "staging"
			}
			return nil, s.fault(fmt.Sprintf("cannot allocate %s of %s memory", sokr.FormatBytes(n), what), err)
		}
		r.held = append(r.held, b)
		return b, nil
	}
	for i := range states {
		var chunks []*buffer
		for range c.nchunks {
			b, err := take(c.chunkBytes(), false)
			if err != nil {
				return nil, err
			}
			chunks = append(chunks, b)
		}
		switch i {
		case 0:
			r.state = chunks
		case 1:
			r.work = chunks
		default:
			r.extra = chunks
		}
	}
	if r.aux, err = take(4*(int64(fixed)+qSegWords), false); err != nil {
		return nil, err
	}
	if r.out, err = take(max(outReals*r.real, 256), false); err != nil {
		return nil, err
	}
	if r.stage, err = take(qStageBytes(downBytes), true); err != nil {
		return nil, err
	}
	r.downAt = 4 * qSegWords
	return r, nil
}

// release gives the run's buffers back to the pool.
func (r *qrun) release() {
	r.s.putBuffers(r.held)
	r.held = nil
}

// put appends words to this submission's aux segment and returns the aux
// word they start at; a full segment is submitted first.
func (r *qrun) put(words []uint32) (uint32, error) {
	if len(r.seg)+len(words) > r.segCap {
		if err := r.flush(); err != nil {
			return 0, err
		}
	}
	at := r.fixed + uint32(len(r.seg))
	r.seg = append(r.seg, words...)
	return at, nil
}

// reserve submits the recorded work first unless words more aux words and
// downBytes more downloads fit this submission: an operation that puts its
// words, then dispatches and downloads, reserves first so that none of it
// moves to another submission.
func (r *qrun) reserve(words int, downBytes int64) error {
	if len(r.seg)+words > r.segCap || r.downAt+align(downBytes)+256 > r.stage.size {
		return r.flush()
	}
	return nil
}

// dispatch records kernel k on state st (nil: the run's state).
func (r *qrun) dispatch(k int, st []*buffer, push [8]uint32, groups uint32, weight int64) {
	if st == nil {
		st = r.state
	}
	push[0] = uint32(r.c.bits)
	r.cmds = append(r.cmds, qcmd{k: k, st: st, push: push, groups: groups}, qcmd{barrier: true})
	r.weight += weight
}

// copyState records dst = src, chunk by chunk.
func (r *qrun) copyState(dst, src []*buffer) {
	r.cmds = append(r.cmds, qcmd{copySrc: src, copyDst: dst}, qcmd{barrier: true})
	r.weight += r.c.chunkAmps() * int64(r.c.nchunks)
}

// download records a copy of size bytes of buf at off to staging; to gets
// them once the submission has completed.
func (r *qrun) download(buf *buffer, off, size int64, to func([]byte)) error {
	if r.downAt+size > r.stage.size {
		return fmt.Errorf("vulkan: internal error: downloads overflow the staging buffer")
	}
	dn := &qdown{buf: buf, off: off, size: size, stage: r.downAt, to: to}
	r.downAt += align(size)
	r.cmds = append(r.cmds, qcmd{down: dn}, qcmd{barrier: true})
	return nil
}

// due submits the recorded work when it is large enough: call it between
// operations that may span submissions.
func (r *qrun) due() error {
	limit := int64(qSubmitWeight)
	if unifiedType(r.s.info.Type) {
		limit = qSubmitWeightCPU
	}
	if r.weight >= limit || len(r.cmds) >= 2*qSubmitDispatches {
		return r.flush()
	}
	return nil
}

// flush records and submits the commands, waits for them, hands the
// downloads over and checks the job is still wanted.
func (r *qrun) flush() error {
	if len(r.cmds) == 0 && len(r.seg) == 0 {
		return r.j.Err()
	}
	stage := r.stage.bytes()
	for i, w := range r.seg {
		binary.LittleEndian.PutUint32(stage[4*i:], w)
	}
	fr, err := r.d.frame()
	if err != nil {
		return r.s.fault("cannot record", err)
	}
	r.s.outside.Add(frameBytes)
	if len(r.seg) > 0 {
		fr.copy(r.stage, 0, r.aux, 4*int64(r.fixed), 4*int64(len(r.seg)))
		fr.barrier()
	}
	fr.timestamp(0)
	var bound []*buffer
	binds := make([]binding, 0, qChunks+2)
	for _, c := range r.cmds {
		switch {
		case c.barrier:
			fr.barrier()
		case c.copySrc != nil:
			for i := range c.copySrc {
				fr.copy(c.copySrc[i], 0, c.copyDst[i], 0, r.c.chunkBytes())
			}
		case c.down != nil:
			if c.down.buf != nil { // else a marker: its callback runs in order
				fr.copy(c.down.buf, c.down.off, r.stage, c.down.stage, c.down.size)
			}
		default:
			p := r.pipes[c.k]
			push := pushWords(c.push)
			groups := [3]uint32{c.groups, 1, 1}
			if bound != nil && &bound[0] == &c.st[0] {
				fr.dispatchBound(p, push, groups)
				r.passes++
				continue
			}
			binds = binds[:0]
			for i := range qChunks {
				b := c.st[0]
				if i < len(c.st) {
					b = c.st[i]
				}
				binds = append(binds, binding{buf: b})
			}
			binds = append(binds, binding{buf: r.aux}, binding{buf: r.out})
			if err := fr.dispatch(p, binds, push, groups); err != nil {
				fr.release()
				return r.s.fault("cannot record", err)
			}
			bound = c.st
			r.passes++
		}
	}
	fr.timestamp(1)
	fr.barrier()
	if err := fr.submit(); err != nil {
		if strings.Contains(err.Error(), "VK_ERROR_DEVICE_LOST") {
			r.s.lose(err)
			return r.s.fault("the device was lost", err)
		}
		fr.release()
		return r.s.fault("cannot submit", err)
	}
	r.submits++
	spin := r.s.spin
	for {
		res, err := fr.wait(spin, uint64(100*time.Millisecond))
		spin = 0
		if err != nil {
			r.s.lose(err)
			r.held = nil // the buffers stay with the lost device
			return r.s.fault("the device failed while running", err)
		}
		if res == waitDone {
			break
		}
	}
	r.gpuNs += fr.elapsedNs()
	fr.release()
	for _, c := range r.cmds {
		if c.down != nil {
			c.down.to(stage[c.down.stage : c.down.stage+c.down.size])
		}
	}
	r.cmds, r.seg, r.weight = r.cmds[:0], r.seg[:0], 0
	r.downAt = 4 * qSegWords
	return r.j.Err()
}
