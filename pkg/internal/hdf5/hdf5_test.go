package hdf5

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sokr-rs/sokr/pkg/internal/fuzzguard"
	"github.com/sokr-rs/sokr/pkg/internal/testcorpus"
)

// fixtures are the files gen.py writes: one tree in three on-disk formats.
var fixtures = []string{"testdata/v0.h5", "testdata/v2.h5", "testdata/v3.h5"}

func decodeFile(t testing.TB, path string) *Object {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	o, err := Decode(data)
	require.NoError(t, err, path)
	return o
}

// walk calls fn for every object below o, parents first.
func walk(o *Object, fn func(*Object)) {
	fn(o)
	for _, m := range o.Members {
		walk(m, fn)
	}
}

// TestDecodeMatchesH5py compares every object of each fixture with
// want.json, which gen.py wrote from h5py's reading of the same tree.
func TestDecodeMatchesH5py(t *testing.T) {
	raw, err := os.ReadFile("testdata/want.json")
	require.NoError(t, err)
	var want map[string]struct {
		Group  bool
		Shape  []int
		Values []json.RawMessage
	}
	require.NoError(t, json.Unmarshal(raw, &want))
	for _, path := range fixtures {
		t.Run(filepath.Base(path), func(t *testing.T) {
			root := decodeFile(t, path)
			got := 0
			walk(root, func(o *Object) {
				if o.Path == "/" {
					return
				}
				got++
				w, ok := want[strings.TrimPrefix(o.Path, "/")]
				require.True(t, ok, "unexpected object %s", o.Path)
				if w.Group {
					assert.True(t, o.IsGroup(), o.Path)
					return
				}
				require.False(t, o.IsGroup(), o.Path)
				v := o.Value
				assert.Equal(t, w.Shape, append([]int{}, v.Shape...), o.Path)
				require.Equal(t, len(w.Values), v.Len(), o.Path)
				for i, wv := range w.Values {
					assert.Equal(t, string(wv), jsonElement(t, v, i, wv), "%s[%d]", o.Path, i)
				}
			})
			assert.Equal(t, len(want), got, "objects in the file")

			assert.Equal(t, `string[]["sokr hdf5 fixture"]`, root.Attrs["title"].String())
			assert.Equal(t, `integer[][42]`, root.Attrs["answer"].String())
			assert.Equal(t, `float[2][0.5 0.25]`, root.Attrs["ratio"].String())
			assert.Equal(t, `string[]["s"]`, root.Lookup("types/f64").Attrs["unit"].String())
			assert.Equal(t, 40, len(root.Lookup("many").Members), "a dense group in v2/v3 files")
		})
	}
}

// jsonElement renders element i of v as h5py's value in want.json reads:
// floats compare by value, integers and strings by their JSON text.
func jsonElement(t *testing.T, v *Value, i int, want json.RawMessage) string {
	switch v.Class {
	case Float:
		var w float64
		require.NoError(t, json.Unmarshal(want, &w))
		f, _ := v.Float64s()
		if f[i] == w {
			return string(want)
		}
		return strconv.FormatFloat(f[i], 'g', -1, 64)
	case Integer:
		if v.Signed {
			return strconv.FormatInt(v.ints[i], 10)
		}
		return strconv.FormatUint(v.uints[i], 10)
	}
	b, err := json.Marshal(v.strs[i])
	require.NoError(t, err)
	return string(b)
}

// TestAgreesWithH5dump compares the reader with the HDF5 library's own
// h5dump on every fixture and every NIR file: the objects and attributes
// each file holds, and every dataset's shape and values.
func TestAgreesWithH5dump(t *testing.T) {
	if _, err := exec.LookPath("h5dump"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("h5dump is missing; scripts/deps.sh installs hdf5-tools")
		}
		t.Skip("h5dump is not installed (Debian: apt-get install hdf5-tools)")
	}
	// The fixtures, the NIR package's own files and the NIR paper's graphs
	// kept in the repository (testdata/nir at the root).
	agreesWithH5dump(t, slices.Concat(fixtures, glob(t, "../../ir/nir/testdata/*.nir"), glob(t, "../../../testdata/nir/*.nir")))
	t.Run("corpus", func(t *testing.T) {
		agreesWithH5dump(t, glob(t, filepath.Join(testcorpus.Dir(t, "nir"), "*.nir")))
	})
}

func agreesWithH5dump(t *testing.T, files []string) {
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			root := decodeFile(t, path)
			var listing, datasets []string
			walk(root, func(o *Object) {
				kind := "group"
				if !o.IsGroup() {
					kind = "dataset"
					datasets = append(datasets, o.Path)
				}
				listing = append(listing, kind+" "+o.Path)
				for name := range o.Attrs {
					listing = append(listing, "attribute "+strings.TrimSuffix(o.Path, "/")+"/"+name)
				}
			})
			out, err := exec.Command("h5dump", "-n", "1", path).Output()
			require.NoError(t, err)
			var want []string
			for _, line := range strings.Split(string(out), "\n") {
				if f := strings.Fields(line); len(f) == 2 && (f[0] == "group" || f[0] == "dataset" || f[0] == "attribute") {
					want = append(want, f[0]+" "+f[1])
				}
			}
			slices.Sort(want)
			slices.Sort(listing)
			require.Equal(t, want, listing)

			args := []string{"-y", "-w", "0", "-m", "%.17g"}
			for _, d := range datasets {
				args = append(args, "-d", d)
			}
			out, err = exec.Command("h5dump", append(args, path)...).Output()
			require.NoError(t, err)
			dumped := parseH5dump(t, string(out))
			for _, d := range datasets {
				v := root.Lookup(d).Value
				w, ok := dumped[d]
				require.True(t, ok, "h5dump printed no %s", d)
				assert.Equal(t, w.shape, append([]int{}, v.Shape...), d)
				require.Equal(t, len(w.values), v.Len(), d)
				for i, s := range w.values {
					assertElement(t, v, i, s, d)
				}
			}
		})
	}
}

func glob(t *testing.T, pattern string) []string {
	files, err := filepath.Glob(pattern)
	require.NoError(t, err)
	require.NotEmpty(t, files, pattern)
	return files
}

type dumpedDataset struct {
	shape  []int
	values []string
}

// parseH5dump reads the DATASET blocks of `h5dump -y -w 0` output: the
// dataspace and one element per line.
func parseH5dump(t *testing.T, out string) map[string]dumpedDataset {
	res := map[string]dumpedDataset{}
	var name string
	var cur dumpedDataset
	inData, inAttr, attrData := false, false, false
	for _, line := range strings.Split(out, "\n") {
		s := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(s, "ATTRIBUTE \""):
			inAttr = true
		case inAttr: // skip an attribute's block through the end of its DATA
			if s == "DATA {" {
				attrData = true
			} else if attrData && s == "}" {
				inAttr, attrData = false, false
			}
		case strings.HasPrefix(s, "DATASET \""):
			name, _, _ = strings.Cut(strings.TrimPrefix(s, "DATASET \""), "\"")
			cur = dumpedDataset{shape: []int{}}
		case strings.HasPrefix(s, "DATASPACE  SIMPLE { ( "):
			dims, _, _ := strings.Cut(strings.TrimPrefix(s, "DATASPACE  SIMPLE { ( "), " )")
			for _, d := range strings.Split(dims, ", ") {
				n, err := strconv.Atoi(d)
				require.NoError(t, err, s)
				cur.shape = append(cur.shape, n)
			}
		case s == "DATA {":
			inData = true
		case inData && s == "}":
			inData = false
			res[name] = cur
		case inData:
			cur.values = append(cur.values, strings.TrimSuffix(s, ","))
		}
	}
	return res
}

func assertElement(t *testing.T, v *Value, i int, s, path string) {
	switch v.Class {
	case Float:
		want, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, "%s: %q", path, s)
		f, _ := v.Float64s()
		assert.Equal(t, want, f[i], "%s[%d]", path, i)
	case Integer:
		// h5dump prints enumerations (h5py's booleans) by member name.
		switch s {
		case "FALSE":
			s = "0"
		case "TRUE":
			s = "1"
		}
		if v.Signed {
			assert.Equal(t, s, strconv.FormatInt(v.ints[i], 10), "%s[%d]", path, i)
		} else {
			assert.Equal(t, s, strconv.FormatUint(v.uints[i], 10), "%s[%d]", path, i)
		}
	default:
		// h5dump escapes bytes outside ASCII and prints fixed-length
		// padding as \000; compare the rest.
		s = strings.TrimSuffix(strings.TrimPrefix(s, "\""), "\"")
		for strings.HasSuffix(s, "\\000") {
			s = strings.TrimSuffix(s, "\\000")
		}
		if !strings.Contains(s, "\\") {
			assert.Equal(t, s, v.strs[i], "%s[%d]", path, i)
		}
	}
}

// TestMalformed cuts and corrupts the fixtures: every result is a value or
// a *FormatError with an offset inside the file, never a panic or a hang.
func TestMalformed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lim := Limits{MaxBytes: 1 << 24, MaxObjects: 1 << 12, MaxDepth: 16}
	for _, path := range fixtures {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		check := func(b []byte) {
			_, err := DecodeLimits(b, lim)
			if err == nil {
				return
			}
			var fe *FormatError
			require.True(t, errors.As(err, &fe), "%T %v", err, err)
			assert.True(t, fe.Offset >= 0 && fe.Offset <= int64(len(b)), "offset %d outside %d bytes: %v", fe.Offset, len(b), err)
		}
		for n := 0; n < len(data); n += 1 + n/8 {
			check(data[:n])
		}
		for range 60 {
			b := bytes.Clone(data)
			for range 1 + rng.IntN(4) {
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			}
			check(b)
		}
	}
}

func TestErrors(t *testing.T) {
	_, err := Decode([]byte("not an HDF5 file at all"))
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "hdf5: at byte 0: not an HDF5 file: no superblock signature", err.Error())

	data, err := os.ReadFile("testdata/v0.h5")
	require.NoError(t, err)
	_, err = DecodeLimits(data, Limits{MaxBytes: 1000, MaxObjects: 1000, MaxDepth: 10})
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, err.Error(), "the limit of 1000 bytes")
	_, err = DecodeLimits(data, Limits{MaxBytes: 1 << 20, MaxObjects: 1000, MaxDepth: 3})
	assert.ErrorContains(t, err, "groups nested deeper than 3")
	_, err = DecodeLimits(data, Limits{MaxBytes: 1 << 20, MaxObjects: 5, MaxDepth: 10})
	assert.ErrorContains(t, err, "more than 5 objects")

	// A user block: the superblock moved to offset 512.
	shifted := append(make([]byte, 512), data...)
	copy(shifted[512+24:], []byte{0, 2, 0, 0, 0, 0, 0, 0}) // base address 512
	o, err := Decode(shifted)
	require.NoError(t, err)
	assert.Equal(t, []int{3, 4}, o.Lookup("types/f64").Value.Shape)
}

// TestLookup3 pins the checksum to the test vectors of Jenkins' lookup3.c.
func TestLookup3(t *testing.T) {
	assert.Equal(t, uint32(0xdeadbeef), lookup3(nil))
	assert.Equal(t, uint32(0x17770551), lookup3([]byte("Four score and seven years ago")))
}

// FuzzDecode feeds arbitrary bytes to the reader, seeded with the
// fixtures. It must not panic or hang; an error is a *FormatError.
func FuzzDecode(f *testing.F) {
	for _, path := range append(fixtures, "../../ir/nir/testdata/ports.nir", "../../ir/nir/testdata/every_v0_plain.nir") {
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, done := fuzzguard.Start(t, data) // the decoder takes no context: the watchdog and the limit only
		defer done()
		_, err := DecodeLimits(data, Limits{MaxBytes: 1 << 24, MaxObjects: 1 << 12, MaxDepth: 16})
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
		}
	})
}
