//go:build cgo

package cplugin_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cplugin"
)

// exampleSO builds the example plugin for the examples (tests use their
// cached build; examples show the plain steps).
func exampleSO() string {
	so := filepath.Join(buildDir, "libsokr_elementwise_example.so")
	if _, err := os.Stat(so); err != nil {
		out, err := exec.Command("gcc", "-std=c11", "-O2", "-fPIC", "-shared", "-pthread", "-I", includeDir,
			"-o", so, exampleSource, "-lm").CombinedOutput()
		if err != nil {
			panic(fmt.Sprintf("%v: %s", err, out))
		}
	}
	return so
}

// Load a C plugin, register it and run a native program on it.
func ExampleRegister() {
	rt := sokr.New()
	s, err := cplugin.Register(rt.Registry, exampleSO())
	if err != nil {
		panic(err)
	}
	defer rt.Close(context.Background())
	fmt.Println(s.Name(), s.Kind(), s.Describe()["abi_version"])

	prog, _ := native.Parse([]byte("sokr.native/1\nparam x: f32[3]\ny: f32[3] = mul x, x\nreturn y"))
	res, err := rt.Run(context.Background(), prog, []sokr.Tensor{sokr.FromSlice([]float32{1, 2, 3})})
	fmt.Println(sokr.View[float32](res.Outputs[0].Tensor), err)
	// Output:
	// c-elementwise cpu 1.0
	// [1 4 9] <nil>
}

// A plugin that cannot be loaded is a *LoadError saying why.
func ExampleLoad_refused() {
	_, err := cplugin.Load("/nonexistent/libnothing.so")
	fmt.Println(errors.Is(err, cplugin.ErrOpen), errors.Is(err, sokr.ErrRegistration))
	// Output:
	// true true
}
