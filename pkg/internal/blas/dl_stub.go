//go:build !cgo || !unix

package blas

import (
	"errors"
	"unsafe"
)

// dlopenSupported reports whether this build can load shared libraries.
const dlopenSupported = false

// errNoDlopen explains why nothing can be loaded in this build.
var errNoDlopen = errors.New("dlopen unsupported: built without cgo or on a non-unix platform")

func open(string) (*Lib, error) { return nil, errNoDlopen }

// The methods below are unreachable: no *Lib can be created in this build.

func (l *Lib) setThreadsCall(int) { panic("blas: unreachable") }

func (l *Lib) threadsCall() int { panic("blas: unreachable") }

func (l *Lib) sgemmCall(_, _ bool, _, _, _ int, _ float32, _ unsafe.Pointer, _ int,
	_ unsafe.Pointer, _ int, _ float32, _ unsafe.Pointer, _ int) bool {
	panic("blas: unreachable")
}

func (l *Lib) dgemmCall(_, _ bool, _, _, _ int, _ float64, _ unsafe.Pointer, _ int,
	_ unsafe.Pointer, _ int, _ float64, _ unsafe.Pointer, _ int) bool {
	panic("blas: unreachable")
}
