package facade

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

func takeJob(id int64, remove bool) (*pyJob, error) {
	pyBridge.mu.Lock()
	defer pyBridge.mu.Unlock()
	pj := pyBridge.jobs[id]
	if pj == nil {
		return nil, fail(fmt.Errorf("sokr: no Python job %d (completed already?)", id))
	}
	if remove {
		delete(pyBridge.jobs, id)
	}
	return pj, nil
}

// CopyJobInput copies input index of job id into the n bytes at addr.
func CopyJobInput(id, index int64, addr uintptr, n int64) error {
	pj, err := takeJob(id, false)
	if err != nil {
		return err
	}
	if index < 0 || index >= int64(len(pj.job.Inputs)) || int64(len(pj.job.Inputs[index].Data)) != n {
		return fail(fmt.Errorf("sokr: job %d has no input %d of %d bytes", id, index, n))
	}
	copy(bytesAt(addr, n), pj.job.Inputs[index].Data)
	return nil
}

// CompleteJob completes job id with outputs: spec describes numpy arrays in
// the input-spec format (see parseInputs), names is a JSON array of their
// names, meta a JSON object of strings, values a JSON array of domain values
// ({"name", "value"}: counts, ...) that follow the arrays as outputs with
// Value set; "" for none of each. The arrays are copied.
func CompleteJob(id int64, spec, names, meta, values string) error {
	pj, err := takeJob(id, true)
	if err != nil {
		return err
	}
	ts, err := parseInputs(spec)
	var nameList []string
	if err == nil && names != "" {
		err = json.Unmarshal([]byte(names), &nameList)
	}
	if err == nil && len(ts) != len(nameList) {
		err = fmt.Errorf("%d outputs but %d names", len(ts), len(nameList))
	}
	var m map[string]string
	if err == nil && meta != "" {
		err = json.Unmarshal([]byte(meta), &m)
	}
	var vals []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	if err == nil && values != "" {
		err = json.Unmarshal([]byte(values), &vals)
	}
	if err != nil {
		pj.job.Fail(&sokr.FaultError{Substrate: pj.name, Msg: "bad result from Python: " + err.Error()})
		return nil
	}
	outs := make([]sokr.Output, len(ts), len(ts)+len(vals))
	for i, t := range ts {
		t.Data = bytes.Clone(t.Data)
		outs[i] = sokr.Output{Name: nameList[i], Tensor: t}
	}
	for _, v := range vals {
		outs = append(outs, sokr.Output{Name: v.Name, Value: v.Value})
	}
	pj.job.Complete(sokr.Result{Outputs: outs, Meta: m}, nil)
	return nil
}

// FailJob fails job id: kind "input" for bad inputs (an InputError for the
// input at index, named name; index -1 when the fault is not one input's),
// "cancelled" for a cancelled run (ErrCancelled, msg its cause), anything
// else a SubstrateFault carrying the Python traceback.
func FailJob(id int64, kind, msg, traceback string, index int64, name string) error {
	pj, err := takeJob(id, true)
	if err != nil {
		return err
	}
	switch kind {
	case "input":
		pj.job.Fail(&sokr.InputError{Index: int(max(index, -1)), Name: name, Msg: msg})
	case "cancelled":
		// As a cancelled context gives it: ErrCancelled, still matching
		// context.Canceled, with Python's message as its cause.
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(errors.New(msg))
		pj.job.Fail(sokr.ContextError(ctx))
	default:
		pj.job.Fail(&sokr.FaultError{Substrate: pj.name, Msg: msg, Stack: traceback})
	}
	return nil
}
