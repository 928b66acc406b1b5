package main

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Dist summarises repeated measurements of one quantity.
type Dist struct {
	N      int     `json:"n"`
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	P99    float64 `json:"p99"`
	Mean   float64 `json:"mean"`
	Max    float64 `json:"max"`
}

// dist sorts a copy of v and summarises it; p99 is the nearest-rank
// percentile (the 1980th of 2000 values).
func dist(v []float64) Dist {
	if len(v) == 0 {
		return Dist{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return Dist{N: len(s), Min: s[0], Median: median(s), P99: s[rank(len(s), 0.99)], Mean: sum / float64(len(s)), Max: s[len(s)-1]}
}

// median of sorted values.
func median(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// rank is the nearest-rank index of quantile q among n sorted values.
func rank(n int, q float64) int {
	return min(n-1, max(0, int(math.Ceil(q*float64(n)))-1))
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
func us(d time.Duration) float64 { return float64(d) / 1e3 }

// repeat calls fn for i = 0..n-1, stopping early once the deadline has
// passed (fn runs at least once). It returns how many calls succeeded.
func repeat(n int, deadline time.Time, fn func(i int) error) (int, error) {
	for i := range n {
		if i > 0 && time.Now().After(deadline) {
			return i, nil
		}
		if err := fn(i); err != nil {
			return i, err
		}
	}
	return n, nil
}

// parallel splits [0, n) into one block per core and runs fn on each: the
// benchmark's inputs and checks run to 2^28 elements, which one core would
// take seconds of the GPU machine's scarce time over.
func parallel(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/(1<<16)))
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}

// num prints a rate with about three significant digits, never in
// exponent form (2747, 12.3, 0.85).
func num(x float64) string {
	switch ax := math.Abs(x); {
	case ax >= 100:
		return fmt.Sprintf("%.0f", x)
	case ax >= 10:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}
