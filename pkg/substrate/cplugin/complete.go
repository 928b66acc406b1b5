//go:build cgo

package cplugin

/*
#include "sokr.h"
*/
import "C"

import (
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// sokrCpluginComplete is the host's sokr_plugin_complete_fn, which
// cp_dispatch puts into every job. Plugins call it from any thread.
//
// A stale or repeated user_data (a second completion) finds no call and is
// dropped. A panic must not unwind into the plugin's C frames: one fails
// the job as a fault of the plugin.
//
//export sokrCpluginComplete
func sokrCpluginComplete(userData C.uint64_t, c *C.sokr_plugin_completion_v1) {
	var cl *call
	defer func() {
		if p := recover(); p != nil && cl != nil {
			cl.job.Fail(&sokr.FaultError{Substrate: cl.s.name, Msg: "completing the job panicked", Panic: p})
		}
	}()
	if cl = calls.take(uint64(userData)); cl != nil {
		cl.complete(c)
	}
}
