// Package footprint adds up the bytes a run will allocate, before it
// allocates them, without overflowing.
//
// A substrate's memory estimate is a sum of products of sizes that come
// from programs, inputs and options: any of them may be huge (a splat
// constant of 2^40 elements, a delay line of 2^24 steps). Wrapped int64
// arithmetic would turn such a sum negative, and a negative estimate fits
// every budget; Go's "fatal error: out of memory" that follows cannot be
// recovered. Here every sum and product saturates at Max instead, which
// no budget admits.
//
//	var t footprint.Tally
//	t.Mul(steps, batch, neurons, 4) // recordings, f32
//	t.Add(weightBytes)
//	if t.Bytes() > budget { ... refuse, with footprint.Format(t.Bytes()) }
package footprint

import (
	"math"
	"math/bits"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Max is the saturated value: more memory than any machine has.
const Max int64 = math.MaxInt64

// Mul returns the product of the factors, or Max when it does not fit an
// int64. A negative factor (a size computed from a wrapped product
// elsewhere) also gives Max: it is never a real size.
func Mul[T ~int | ~int64](factors ...T) int64 {
	p := uint64(1)
	for _, f := range factors {
		if f < 0 {
			return Max
		}
		hi, lo := bits.Mul64(p, uint64(f))
		if hi != 0 || lo > uint64(Max) {
			// A zero factor later still makes the product zero.
			for _, g := range factors {
				if g == 0 {
					return 0
				}
			}
			return Max
		}
		p = lo
	}
	return int64(p)
}

// Add returns the sum of the terms, or Max when it does not fit an int64
// or a term is negative.
func Add(terms ...int64) int64 {
	var s int64
	for _, t := range terms {
		if t < 0 || s > Max-t {
			return Max
		}
		s += t
	}
	return s
}

// Object bounds the bytes the Go allocator takes for an object of n
// bytes: small objects are rounded up to a size class (at most an eighth
// more, per the table in runtime/sizeclasses.go), large ones (over 32 KiB)
// to whole 8 KiB pages. A negative n gives Max, as in Mul.
func Object(n int64) int64 {
	switch {
	case n == 0:
		return 0
	case n < 0: // a size computed from a wrapped product: never a real one
		return Max
	case n <= 32<<10:
		return n + n/8 + 16
	case n > Max-8<<10:
		return Max
	}
	return (n + 8<<10 - 1) &^ (8<<10 - 1)
}

// Tally is a running total of bytes that saturates at Max. The zero value
// is an empty total.
type Tally struct{ n int64 }

// Add adds n bytes.
func (t *Tally) Add(n int64) { t.n = Add(t.n, n) }

// Mul adds the product of the factors (elements times element size, say).
func (t *Tally) Mul(factors ...int) { t.Add(Mul(factors...)) }

// Object adds an object of n bytes as the allocator takes it (see Object).
func (t *Tally) Object(n int64) { t.Add(Object(n)) }

// Bytes returns the total.
func (t *Tally) Bytes() int64 { return t.n }

// Format renders a byte count for messages: "512 B", "1.5 GiB"; Max is
// "more than 8 EiB".
func Format(b int64) string {
	if b >= Max {
		return "more than 8 EiB"
	}
	return sokr.FormatBytes(b)
}
