package cpu_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/sokr"
	"github.com/sokr-rs/sokr/pkg/substrate/cpu"
)

// describeChild is set in the environment of the child process
// TestDescribeReportsBLAS starts: the BLAS is loaded once per process, so
// each SOKR_BLAS value needs a process of its own.
const describeChild = "SOKR_CPU_TEST_DESCRIBE_CHILD"

// TestDescribeReportsBLAS checks that a SOKR_BLAS that cannot be loaded is
// reported by Describe (what `sokr info` prints) with the library really
// in use, the Go kernels, rather than ignored; and that with SOKR_BLAS
// unset there is no error to report.
func TestDescribeReportsBLAS(t *testing.T) {
	if os.Getenv(describeChild) == "1" {
		require.NoError(t, json.NewEncoder(os.Stdout).Encode(cpu.New().Describe()))
		return
	}
	describe := func(blasEnv ...string) sokr.Properties {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestDescribeReportsBLAS$", "-test.count=1")
		env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "SOKR_BLAS=") })
		cmd.Env = append(env, append(blasEnv, describeChild+"=1")...)
		out, err := cmd.Output()
		require.NoError(t, err, "%s", out)
		var p sokr.Properties
		require.NoError(t, json.NewDecoder(bytes.NewReader(out)).Decode(&p), "%s", out)
		return p
	}

	p := describe("SOKR_BLAS=/nonexistent/libsokr-no-such-blas.so")
	assert.Equal(t, "go", p["blas"], "the library in use")
	assert.Empty(t, p["blas_path"])
	assert.Contains(t, p["blas_error"], "SOKR_BLAS=/nonexistent/libsokr-no-such-blas.so cannot be used (dlopen ")
	assert.Contains(t, p["blas_error"], "matrix products use the Go kernels")

	p = describe("SOKR_BLAS=libm.so.6")
	assert.Equal(t, "go", p["blas"])
	assert.Contains(t, p["blas_error"], "SOKR_BLAS=libm.so.6 cannot be used (") // no cblas_sgemm

	p = describe()
	assert.NotContains(t, p, "blas_error", "no SOKR_BLAS: nothing was asked for that failed")
	if p["blas"] != "go" {
		assert.FileExists(t, p["blas_path"], "the file the BLAS in use came from")
		q := describe("SOKR_BLAS=" + p["blas_path"])
		assert.Equal(t, p["blas_path"], q["blas"])
		assert.NotContains(t, q, "blas_error")
	}
}
