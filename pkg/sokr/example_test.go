package sokr_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/sokr/sokrtest"
)

// A runtime routes a program to a capable substrate and hands back a future.
// Here the substrate is sokrtest's fake, which echoes its inputs.
func Example() {
	rt := sokr.New()
	defer rt.Close(context.Background())
	if err := rt.RegisterSubstrate(sokrtest.NewFake("cpu")); err != nil {
		panic(err)
	}

	x := sokr.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	fut := rt.Dispatch(context.Background(), sokrtest.Program{}, []sokr.Tensor{x})
	res, err := fut.Wait(context.Background())
	if err != nil {
		panic(err)
	}
	out, _ := res.Get("out0")
	fmt.Println("ran on", fut.Substrate())
	fmt.Println(out.Tensor, sokr.View[float32](out.Tensor))
	// Output:
	// ran on cpu
	// f32[2,2] [1 2 3 4]
}

// Capability asks every substrate, in name order, whether it could run a
// program, without running it.
func ExampleRuntime_Capability() {
	rt := sokr.New()
	defer rt.Close(context.Background())
	cpu := sokrtest.NewFake("cpu")
	cpu.Estimate = sokr.Estimate{Time: 3 * time.Millisecond}
	qpu := sokrtest.NewFake("statevec")
	qpu.SubKind = sokr.KindQPU
	qpu.Supports = []string{"gate:h", "gate:cx"}
	_ = rt.RegisterSubstrate(qpu)
	_ = rt.RegisterSubstrate(cpu)

	p := sokrtest.Program{Fmt: "openqasm/3", Feats: []string{"gate:h", "gate:cu3"}}
	for _, o := range rt.Capability(context.Background(), p) {
		if o.OK {
			fmt.Printf("%s (%s): yes, about %v\n", o.Substrate, o.Kind, o.Estimate.Time)
		} else {
			fmt.Printf("%s (%s): no, %s\n", o.Substrate, o.Kind, o.Reason)
		}
	}
	// Output:
	// cpu (cpu): yes, about 3ms
	// statevec (qpu): no, does not support gate:cu3
}

// Dispatch returns at once; Wait blocks until the future completes.
func ExampleRuntime_Dispatch() {
	rt := sokr.New()
	defer rt.Close(context.Background())
	_ = rt.RegisterSubstrate(sokrtest.NewFake("cpu"))

	fut := rt.Dispatch(context.Background(), sokrtest.Program{}, []sokr.Tensor{sokr.Scalar(2.5)},
		sokr.Seed(7), sokr.Timeout(time.Minute))
	<-fut.Done()
	res, err, _ := fut.Poll()
	fmt.Println(sokr.View[float64](res.Outputs[0].Tensor), err)
	// Output:
	// [2.5] <nil>
}

// When no substrate can run a program, the error says why each one refused.
func ExampleNoCapableError() {
	rt := sokr.New()
	defer rt.Close(context.Background())
	_ = rt.RegisterSubstrate(sokrtest.NewRefusingFake("statevec", "needs 31 qubits, this substrate holds at most 30 in 24 GiB"))
	_ = rt.RegisterSubstrate(sokrtest.NewRefusingFake("vulkan", "no Vulkan device"))

	_, err := rt.Run(context.Background(), sokrtest.Program{Fmt: "openqasm/3"}, nil)
	fmt.Println(errors.Is(err, sokr.ErrNoCapableSubstrate))
	var nc *sokr.NoCapableError
	if errors.As(err, &nc) {
		for _, o := range nc.Offers {
			fmt.Printf("%s: %s\n", o.Substrate, o.Reason)
		}
	}
	// Output:
	// true
	// statevec: needs 31 qubits, this substrate holds at most 30 in 24 GiB
	// vulkan: no Vulkan device
}

// A program's errors carry the position of the fault.
func ExampleProgramError() {
	var err error = &sokr.ProgramError{
		Format: "openqasm/2",
		Pos:    sokr.Position{Line: 3, Col: 7},
		Msg:    `unknown gate "foo"`,
	}
	fmt.Println(err)
	var pe *sokr.ProgramError
	fmt.Println(errors.Is(err, sokr.ErrInvalidProgram), errors.As(err, &pe) && pe.Pos.Line == 3)
	// Output:
	// sokr: invalid program (openqasm/2) at 3:7: unknown gate "foo"
	// true true
}

// Cancel completes a pending future with ErrCancelled and tells the
// substrate to stop; on a completed future it changes nothing.
func ExampleFuture_Cancel() {
	rt := sokr.New()
	defer rt.Close(context.Background())
	slow := sokrtest.NewFake("cpu")
	slow.Delay = time.Hour
	_ = rt.RegisterSubstrate(slow)

	fut := rt.Dispatch(context.Background(), sokrtest.Program{}, nil)
	fmt.Println(fut.Cancel())
	_, err := fut.Wait(context.Background())
	fmt.Println(err, errors.Is(err, sokr.ErrCancelled), errors.Is(err, context.Canceled))
	fmt.Println(fut.Cancel())
	// Output:
	// <nil>
	// sokr: cancelled true true
	// sokr: future already completed
}

// OnComplete runs a function when the future completes, or at once if it
// already has.
func ExampleFuture_OnComplete() {
	rt := sokr.New()
	defer rt.Close(context.Background())
	_ = rt.RegisterSubstrate(sokrtest.NewFake("cpu"))

	done := make(chan struct{})
	fut := rt.Dispatch(context.Background(), sokrtest.Program{}, []sokr.Tensor{sokr.Scalar(int32(42))})
	fut.OnComplete(func(res sokr.Result, err error) {
		fmt.Println("completed:", sokr.View[int32](res.Outputs[0].Tensor), err)
		close(done)
	})
	<-done
	fut.OnComplete(func(sokr.Result, error) { fmt.Println("already complete: runs at once") })
	// Output:
	// completed: [42] <nil>
	// already complete: runs at once
}

// A deadline on one dispatch; the error matches both SOKR's and the context
// package's sentinels.
func ExampleTimeout() {
	rt := sokr.New()
	defer rt.Close(context.Background())
	slow := sokrtest.NewFake("cpu")
	slow.Delay = time.Hour
	_ = rt.RegisterSubstrate(slow)

	_, err := rt.Run(context.Background(), sokrtest.Program{}, nil, sokr.Timeout(time.Millisecond))
	fmt.Println(err, errors.Is(err, sokr.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded))
	// Output:
	// sokr: deadline exceeded true true
}

// Pinned (or the On dispatch option) runs on one substrate only; when it
// refuses, the dispatch fails with its reason.
func ExamplePinned() {
	rt := sokr.New()
	defer rt.Close(context.Background())
	_ = rt.RegisterSubstrate(sokrtest.NewFake("cpu"))
	_ = rt.RegisterSubstrate(sokrtest.NewFake("vulkan/0"))
	_ = rt.RegisterSubstrate(sokrtest.NewRefusingFake("vulkan/1", "device lost"))

	fut := rt.Dispatch(context.Background(), sokrtest.Program{}, nil, sokr.Using(sokr.Pinned("vulkan/0")))
	_, _ = fut.Wait(context.Background())
	fmt.Println(fut.Substrate())

	_, err := rt.Run(context.Background(), sokrtest.Program{}, nil, sokr.On("vulkan/1"))
	fmt.Println(err)
	// Output:
	// vulkan/0
	// sokr: no capable substrate for sokrtest/1: vulkan/1: device lost
}

// RoundRobin shares dispatches among equally capable substrates.
func ExampleRoundRobin() {
	rt := sokr.New(sokr.WithPolicy(sokr.RoundRobin()))
	defer rt.Close(context.Background())
	for _, name := range []string{"gpu/0", "gpu/1", "gpu/2"} {
		_ = rt.RegisterSubstrate(sokrtest.NewFake(name))
	}
	for range 4 {
		fut := rt.Dispatch(context.Background(), sokrtest.Program{}, nil)
		_, _ = fut.Wait(context.Background())
		fmt.Print(fut.Substrate(), " ")
	}
	fmt.Println()
	// Output:
	// gpu/0 gpu/1 gpu/2 gpu/0
}

// Cheapest picks the smallest estimate; substrates that give none count as
// the most expensive.
func ExampleCheapest() {
	rt := sokr.New(sokr.WithPolicy(sokr.Cheapest()))
	defer rt.Close(context.Background())
	cpu := sokrtest.NewFake("cpu")
	cpu.Estimate = sokr.Estimate{Time: 40 * time.Millisecond}
	gpu := sokrtest.NewFake("vulkan/0")
	gpu.Estimate = sokr.Estimate{Time: 2 * time.Millisecond}
	_ = rt.RegisterSubstrate(cpu)
	_ = rt.RegisterSubstrate(gpu)
	_ = rt.RegisterSubstrate(sokrtest.NewFake("remote")) // no estimate

	fut := rt.Dispatch(context.Background(), sokrtest.Program{}, nil)
	_, _ = fut.Wait(context.Background())
	fmt.Println(fut.Substrate())
	// Output:
	// vulkan/0
}

// A policy can be any function of the program and the accepting offers.
func ExamplePolicyFunc() {
	preferGPU := sokr.PolicyFunc(func(_ sokr.Program, offers []sokr.Offer) (int, error) {
		for i, o := range offers {
			if o.Kind == sokr.KindGPU {
				return i, nil
			}
		}
		return 0, nil
	})
	rt := sokr.New(sokr.WithPolicy(preferGPU))
	defer rt.Close(context.Background())
	gpu := sokrtest.NewFake("vulkan/0")
	gpu.SubKind = sokr.KindGPU
	_ = rt.RegisterSubstrate(sokrtest.NewFake("cpu"))
	_ = rt.RegisterSubstrate(gpu)

	fut := rt.Dispatch(context.Background(), sokrtest.Program{}, nil)
	_, _ = fut.Wait(context.Background())
	fmt.Println(fut.Substrate())
	// Output:
	// vulkan/0
}

// A substrate that fails to start is recorded and does not stop the others.
func ExampleRegistry_StartSubstrate() {
	reg := sokr.NewRegistry()
	err := reg.StartSubstrate("vulkan", func() (sokr.Substrate, error) {
		return nil, errors.New("libvulkan.so.1 not found")
	})
	fmt.Println(err)
	_ = reg.StartSubstrate("cpu", func() (sokr.Substrate, error) { return sokrtest.NewFake("cpu"), nil })

	for _, s := range reg.Substrates() {
		fmt.Println("registered:", s.Name())
	}
	for name, err := range reg.Failures() {
		fmt.Println("failed:", name, errors.Is(err, sokr.ErrRegistration))
	}
	// Output:
	// sokr: register vulkan: failed to start: libvulkan.so.1 not found
	// registered: cpu
	// failed: vulkan true
}

// FromSlice wraps a Go slice as a tensor without copying.
func ExampleFromSlice() {
	data := []float64{1, 2, 3, 4, 5, 6}
	t := sokr.FromSlice(data, 2, 3)
	fmt.Println(t, t.Shape.NumElements(), len(t.Data), t.Check())
	fmt.Println(sokr.FromSlice([]int32{7, 8, 9}))
	// Output:
	// f64[2,3] 6 48 <nil>
	// i32[3]
}

// View reads a tensor's elements as a Go slice; it aliases the data.
func ExampleView() {
	data := []float32{1, 2, 3}
	t := sokr.FromSlice(data)
	v := sokr.View[float32](t)
	v[0] = 10
	fmt.Println(data)
	// Output:
	// [10 2 3]
}

// Scalar makes a rank-0 tensor.
func ExampleScalar() {
	s := sokr.Scalar(true)
	fmt.Println(s, sokr.View[bool](s))
	// Output:
	// bool[] [true]
}

// doubler is a complete substrate: it doubles f64 tensors and refuses any
// other dtype, saying why.
type doubler struct{}

func (doubler) Name() string              { return "doubler" }
func (doubler) Kind() sokr.Kind           { return sokr.KindCPU }
func (doubler) Describe() sokr.Properties { return sokr.Properties{"cores": "1"} }

func (d doubler) Capability(_ context.Context, p sokr.Program) sokr.Offer {
	for _, f := range p.Requirements().Features {
		if f != "dtype:f64" {
			return sokr.No(d, "doubles f64 tensors only, not "+f)
		}
	}
	return sokr.Yes(d, sokr.Estimate{Time: time.Microsecond})
}

func (d doubler) Dispatch(_ context.Context, job *sokr.Job) {
	job.Go(d.Name(), func(job *sokr.Job) (sokr.Result, error) {
		var res sokr.Result
		for i, in := range job.Inputs {
			if err := job.Err(); err != nil { // cancelled: stop early
				return sokr.Result{}, err
			}
			if in.DType != sokr.F64 {
				return sokr.Result{}, &sokr.InputError{Index: i, Msg: "want f64, have " + in.DType.String()}
			}
			out := sokr.NewTensor(sokr.F64, in.Shape...)
			dst, src := sokr.View[float64](out), sokr.View[float64](in)
			for k := range src {
				dst[k] = 2 * src[k]
			}
			res.Outputs = append(res.Outputs, sokr.Output{Name: fmt.Sprint("y", i), Tensor: out})
		}
		return res, nil
	})
}

// Writing a substrate: answer Capability honestly, start the work in
// Dispatch under job.Go, and return the outcome.
func Example_writingASubstrate() {
	rt := sokr.New()
	defer rt.Close(context.Background())
	_ = rt.RegisterSubstrate(doubler{})

	res, err := rt.Run(context.Background(), sokrtest.Program{Feats: []string{"dtype:f64"}},
		[]sokr.Tensor{sokr.FromSlice([]float64{1, 2, 3})})
	fmt.Println(sokr.View[float64](res.Outputs[0].Tensor), err)

	_, err = rt.Run(context.Background(), sokrtest.Program{Feats: []string{"dtype:c64"}}, nil)
	fmt.Println(err)
	// Output:
	// [2 4 6] <nil>
	// sokr: no capable substrate for sokrtest/1: doubler: doubles f64 tensors only, not dtype:c64
}
