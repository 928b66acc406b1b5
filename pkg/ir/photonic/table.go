package photonic

import (
	"cmp"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

var (
	_ sokr.Tabular = Counts(nil)
	_ sokr.Tabular = Probabilities(nil)
)

// Table is the columnar form of a photonic result (Counts or
// Probabilities), as it crosses to Python: the output states as one array
// of occupations (uint8 or uint16) and the values as another, both
// little-endian bytes (base64 in JSON), rows in the order of Counts.States
// (mode 0's occupation first, larger first). A full distribution has C(m+n-1, n) rows (490,314 for 8 photons
// in 16 modes): as a JSON object keyed by "|1,0,...>" it took seconds to
// encode, sort and decode, ten times the SLOS run itself; as two arrays it
// is a copy. python/sokr/photonic/_results.py (from_table) reads it.
type Table struct {
	// Kind is "counts" (int64 values) or "probabilities" (float64 values).
	Kind  string `json:"fock_table"`
	Modes int    `json:"modes"`
	Rows  int    `json:"rows"`
	// Width is the bytes of one occupation: 1 when none is above 255, else
	// 2 (MaxPhotons, 1024, fits).
	Width int `json:"width"`
	// States holds Rows*Modes occupations, row-major.
	States []byte `json:"states"`
	// Values holds Rows int64 counts or float64 probabilities.
	Values []byte `json:"values"`
}

// Table returns the counts as a *Table (kind "counts"), or nil when the
// states have different numbers of modes. It implements sokr.Tabular: the
// Python package receives photonic counts this way.
func (c Counts) Table() any {
	if t := newTable("counts", c, func(n int64) uint64 { return uint64(n) }); t != nil {
		return t
	}
	return nil
}

// Table returns the probabilities as a *Table (kind "probabilities"), or
// nil when the states have different numbers of modes (see Counts.Table).
func (p Probabilities) Table() any {
	if t := newTable("probabilities", p, math.Float64bits); t != nil {
		return t
	}
	return nil
}

// newTable lays out m's entries in the order of Counts.States (as Counts.States
// sorts them: larger occupations of mode 0 first, then mode 1, ...). Keys
// that are not Fock states (none, in maps that substrates make) are left
// out, as States leaves them out. States of different numbers of modes
// make no table (nil): the map then crosses as it is.
func newTable[V any](kind string, m map[string]V, bits func(V) uint64) *Table {
	t := &Table{Kind: kind}
	var occ []uint16 // row-major occupations
	vals := make([]uint64, 0, len(m))
	most := uint16(0)
	for k, v := range m {
		if t.Modes == 0 {
			s, err := ParseFockState(k)
			if err != nil {
				continue
			}
			t.Modes = len(s)
			occ = make([]uint16, 0, len(m)*t.Modes)
		}
		n := len(occ)
		var ok bool
		if occ, ok = appendFock(occ, k, t.Modes); ok {
			vals = append(vals, bits(v))
			most = max(most, slices.Max(occ[n:]))
		} else if s, err := ParseFockState(k); err == nil && len(s) != t.Modes {
			return nil
		}
	}
	t.Rows = len(vals)
	t.Width = 1
	if most > math.MaxUint8 {
		t.Width = 2
	}
	order := stateOrder(occ, t.Modes, t.Rows, most)
	t.States = make([]byte, t.Width*len(occ))
	t.Values = make([]byte, 8*t.Rows)
	w := t.Modes
	for r, i := range order {
		row := occ[int(i)*w : int(i+1)*w]
		if t.Width == 1 {
			dst := t.States[r*w : (r+1)*w]
			for j, k := range row {
				dst[j] = byte(k)
			}
		} else {
			for j, k := range row {
				binary.LittleEndian.PutUint16(t.States[2*(r*w+j):], k)
			}
		}
		binary.LittleEndian.PutUint64(t.Values[8*r:], vals[i])
	}
	return t
}

// stateOrder returns the rows of occ (rows states of modes occupations,
// none above most) in the order of Counts.States. A state written as fixed-width
// fields, mode 0 most significant, is a number whose order is the states'
// order; when it fits in 128 bits the rows are sorted by that number,
// descending, several times faster than comparing slices (which took most
// of the time of a 490,314-row table). Larger states are compared as slices.
func stateOrder(occ []uint16, modes, rows int, most uint16) []int32 {
	order := make([]int32, rows)
	b := bits.Len16(most)
	if b == 0 || b*modes > 128 {
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(x, y int32) int {
			return slices.Compare(occ[int(y)*modes:int(y+1)*modes], occ[int(x)*modes:int(x+1)*modes])
		})
		return order
	}
	type keyed struct {
		hi, lo uint64 // the fields, right-aligned in 128 bits
		row    int32
	}
	ks := make([]keyed, rows)
	for r := range rows {
		var hi, lo uint64
		for _, k := range occ[r*modes : (r+1)*modes] {
			hi = hi<<b | lo>>(64-b)
			lo = lo<<b | uint64(k)
		}
		ks[r] = keyed{hi, lo, int32(r)}
	}
	slices.SortFunc(ks, func(x, y keyed) int {
		if c := cmp.Compare(y.hi, x.hi); c != 0 {
			return c
		}
		return cmp.Compare(y.lo, x.lo)
	})
	for i, k := range ks {
		order[i] = k.row
	}
	return order
}

// appendFock appends the occupations of key, a Fock state of modes modes in
// the canonical form FockState.String writes ("|1,0,1>"), to occ; that form
// is read here because ParseFockState's allocations were most of the
// cost of a large table. Any other key goes through ParseFockState; one
// that is not a Fock state of modes modes is not appended (ok false, occ
// unchanged).
func appendFock(occ []uint16, key string, modes int) ([]uint16, bool) {
	n := len(occ)
	if len(key) == 2*modes+1 && modes > 0 && key[0] == '|' {
		// Every occupation one digit (most keys): "|d,d,...,d>".
		ok := true
		for i := range modes {
			c, sep, want := key[2*i+1], key[2*i+2], byte(',')
			if i == modes-1 {
				want = '>'
			}
			if c < '0' || c > '9' || sep != want {
				ok = false
				break
			}
			occ = append(occ, uint16(c-'0'))
		}
		if ok {
			return occ, true
		}
		occ = occ[:n]
	}
	if len(key) >= 2 && key[0] == '|' && key[len(key)-1] == '>' {
		v, digits := 0, 0
		for i := 1; i < len(key); i++ {
			c := key[i]
			switch {
			case c >= '0' && c <= '9' && digits < 5:
				v, digits = 10*v+int(c-'0'), digits+1
			case (c == ',' || c == '>') && digits > 0 && v <= MaxPhotons:
				occ = append(occ, uint16(v))
				v, digits = 0, 0
			default:
				i = len(key) // not canonical: parse it properly below
				occ = occ[:n]
			}
		}
		if len(occ)-n == modes {
			return occ, true
		}
		occ = occ[:n]
	}
	s, err := ParseFockState(key)
	if err != nil || len(s) != modes {
		return occ, false
	}
	for _, k := range s {
		occ = append(occ, uint16(k))
	}
	return occ, true
}
