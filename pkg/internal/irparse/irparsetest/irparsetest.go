// Package irparsetest helps test that a parser looks at its context while
// it works, not only on entry, without timing anything: AfterLooks gives
// a context that turns cancelled after a set number of looks.
package irparsetest

import (
	"context"
	"sync"
)

// Context is live for its first n looks (calls to Err) and cancelled from
// then on; Done's channel closes at that point. Looks counts the looks.
type Context struct {
	context.Context // Background: no deadline, no values

	mu    sync.Mutex
	n     int
	looks int
	done  chan struct{}
}

// AfterLooks returns a Context live for n looks.
func AfterLooks(n int) *Context {
	return &Context{Context: context.Background(), n: n, done: make(chan struct{})}
}

// Err counts a look and returns context.Canceled once n looks are spent.
func (c *Context) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.looks++
	if c.looks <= c.n {
		return nil
	}
	select {
	case <-c.done:
	default:
		close(c.done)
	}
	return context.Canceled
}

// Done returns a channel closed once the context is cancelled.
func (c *Context) Done() <-chan struct{} { return c.done }

// Looks returns how many times Err was called.
func (c *Context) Looks() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.looks
}
