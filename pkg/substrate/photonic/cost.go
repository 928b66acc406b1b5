package photonic

import (
	"fmt"
	"math"
	"strings"
	"time"

	ir "github.com/sokr-rs/sokr/pkg/ir/photonic"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The time model: CPU nanoseconds per elementary step of each kernel on
// one core, measured as CPU time (not wall time: the development machine
// is shared) by this package's benchmarks on an AMD EPYC core
// (BenchmarkPermanent's cpu-ns/step: 1.16 to 1.3 from n = 18 to 24;
// BenchmarkSample's cpu/model and BenchmarkDistribution's
// cpu-ns/state-step: 4.1 to 4.8), rounded up. They only feed estimates
// and refusals, which need the order of magnitude.
const (
	// nsGlynn is one element of one Gray-code step of a permanent.
	nsGlynn = 1.3
	// nsMinor is one element of one step of minors: the update of the
	// column sums, the prefix and suffix products and the accumulation
	// (about 24 floating-point operations).
	nsMinor = 5.5
	// nsWeight is one complex multiply-add of the sampling weights.
	nsWeight = 2.0
	// nsSLOS is one step of a SLOS layer (a predecessor, or a term of
	// the rank sums).
	nsSLOS = 6.0
	// nsRecord is one shot's share of sorting and counting the records.
	nsRecord = 60.0
)

// maxPhotons is the most photons any run takes: a permanent of size 64
// would overflow the Gray-code counters, and a run of even 50 photons
// would take years.
const maxPhotons = 60

// DefaultMaxTime is the longest run a substrate accepts by default: an
// hour, long enough for every experiment a notebook waits for.
const DefaultMaxTime = time.Hour

// Cost is a forecast of one run: what it computes, in how many steps,
// how long that takes and how much memory it allocates.
type Cost struct {
	Photons, Modes int
	Mode           Mode
	// Method is the algorithm: "clifford-clifford" (sampling),
	// "slos" (full distribution) or "permanents" (chosen outcomes).
	Method string
	// Permanents is the work in permanent evaluations of size Photons
	// (for sampling and SLOS, the equivalent in time).
	Permanents float64
	// States is the number of amplitudes of SLOS's last layer.
	States int64
	// Detail says what the run does, in words.
	Detail string
	Time   time.Duration
	Memory int64
}

// String reads "6 photons in 12 modes: about 4000 permanent evaluations of
// size 6 (...); about 12ms, 3.1 MiB".
func (c Cost) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d photons in %d modes: ", c.Photons, c.Modes)
	if c.Method == "slos" {
		fmt.Fprintf(&b, "%s", c.Detail)
	} else {
		fmt.Fprintf(&b, "about %s permanent evaluations of size %d (%s)", formatCount(c.Permanents), c.Photons, c.Detail)
	}
	fmt.Fprintf(&b, "; about %s and %s", formatDuration(c.Time), sokr.FormatBytes(c.Memory))
	return b.String()
}

func formatCount(x float64) string {
	switch {
	case x < 10:
		return fmt.Sprintf("%.2g", x)
	case x < 1e6:
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2g", x)
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "under a millisecond"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 100*time.Hour:
		return d.Round(time.Second).String()
	}
	years := d.Hours() / (24 * 365.25)
	if years < 1 {
		return fmt.Sprintf("%.0f days", d.Hours()/24)
	}
	return fmt.Sprintf("%.2g years", years)
}

// seconds converts a step count to a duration, saturating.
func seconds(ns float64) time.Duration {
	if ns >= math.MaxInt64 || math.IsNaN(ns) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ns) + time.Microsecond
}

// permanentNs is the time of one permanent of size n on workers cores.
func permanentNs(n, workers int) float64 {
	if n <= 2 {
		return 10
	}
	w := 1.0
	if n >= parallelPermanentMin {
		w = float64(workers)
	}
	return float64(n) * math.Ldexp(1, n-1) * nsGlynn / w
}

// sampleNs is the time of one Clifford & Clifford sample of n photons
// over mm output modes on one core.
func sampleNs(n, mm int) float64 {
	t := float64(mm) * nsWeight
	for k := 2; k <= n; k++ {
		t += float64(k)*math.Ldexp(1, k-2)*nsMinor + float64(mm*k)*nsWeight
	}
	return t
}

// expectedSampleNs is sampleNs averaged over the survivors of uniform
// loss: Binomial(n, η) photons.
func expectedSampleNs(n, mm int, eta float64) float64 {
	if eta >= 1 {
		return sampleNs(n, mm)
	}
	var t float64
	for k := 0; k <= n; k++ {
		lp := lchoose(n, k) + float64(k)*math.Log(eta) + float64(n-k)*math.Log1p(-eta)
		if eta == 0 {
			lp = math.Inf(-1)
			if k == 0 {
				lp = 0
			}
		}
		t += math.Exp(lp) * sampleNs(k, mm)
	}
	return t
}

func lchoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// mapBytes bounds the allocation of a Go map of entries string keys of
// up to keyLen bytes and values of valBytes, made with its final size as
// hint: swiss-table slots (16-byte key header, the value, a control byte)
// at a load of 7/8 rounded up to a power of two, and each key's string
// rounded up to its size class (at most a quarter more, plus 16).
func mapBytes(entries, keyLen, valBytes int64) int64 {
	if entries == 0 {
		return 64
	}
	slots := entries*8/7 + 8
	return 2*slots*(16+valBytes+1) + entries*(keyLen+keyLen/4+16) + 1024
}

// keyLen bounds the length of an outcome key "|n0,n1,...>" of md's
// program: a digit and a comma per mode, a digit more per ten photons.
func (md *model) keyLen() int { return 2*md.m + 2 + md.n/5 + 2 }

// overheadBytes covers a run's fixed allocations: the result, its
// metadata strings, the options.
const overheadBytes = 16 << 10

// cost forecasts a run of md's program with o on workers goroutines.
func cost(md *model, o *options, workers int) Cost {
	c := Cost{Photons: md.n, Modes: md.m, Mode: o.mode}
	perm := permanentNs(md.n, workers)
	k := len(md.occ)
	base := modelBytes(md.m, k, md.n) + overheadBytes
	switch {
	case o.mode == ModeSample:
		c.Method = "clifford-clifford"
		mm, per := md.mm, 0.0
		if md.uniform {
			mm = md.m
			per = expectedSampleNs(md.n, mm, md.eta)
		} else {
			per = sampleNs(md.n, mm)
		}
		batches := (o.shots + 63) / 64
		w := float64(max(min(workers, batches), 1))
		ns := float64(o.shots)*per/w + float64(o.shots)*math.Log2(float64(o.shots)+1)*nsRecord/16
		c.Time = seconds(ns)
		c.Permanents = ns / perm
		c.Detail = fmt.Sprintf("%d samples by Clifford & Clifford's algorithm B", o.shots)
		switch {
		case !md.uniform:
			c.Detail += fmt.Sprintf(", loss by a dilation to %d modes", md.mm)
		case md.eta < 1:
			c.Detail += fmt.Sprintf(", uniform loss η=%.3g by thinning the input", md.eta)
		}
		outcomes := min(int64(o.shots), newOutcomeSpace(md).size)
		c.Memory = base + sampleBytes(o.shots, md.n, md.mm, workers) +
			4*int64(o.shots) + 8*int64(md.m) + int64(md.keyLen()) + mapBytes(outcomes, int64(md.keyLen()), 8)
	case len(o.outputs) == 0:
		c.Method = "slos"
		fs := newFockSpace(md.mm, md.n)
		var ns float64
		for L := 1; L <= md.n; L++ {
			ns += float64(fs.size(L)) * float64(2*L+1) * nsSLOS
		}
		c.States = fs.size(md.n)
		os := newOutcomeSpace(md)
		ns = ns/float64(max(workers, 1)) + float64(c.States)*float64(md.n)*nsSLOS + float64(os.size)*nsRecord/4
		c.Time = seconds(ns)
		c.Permanents = ns / perm
		c.Detail = fmt.Sprintf("the full distribution by SLOS over %d amplitudes (%s outcomes), like %s permanent evaluations of size %d",
			c.States, formatCount(float64(os.size)), formatCount(c.Permanents), md.n)
		if !md.lossless() {
			c.Detail += fmt.Sprintf(", loss by a dilation to %d modes", md.mm)
		}
		c.Memory = base + distributionBytes(md, workers) + mapBytes(os.size, int64(md.keyLen()), 8) + 8*int64(md.m) + int64(md.keyLen())
	default:
		c.Method = "permanents"
		var perms int64
		for _, out := range o.outputs {
			perms += completions(md, out, 1<<50)
		}
		c.Permanents = float64(perms)
		c.Time = seconds(float64(perms)*perm + float64(len(o.outputs))*1e3)
		c.Detail = fmt.Sprintf("%d chosen outcomes", len(o.outputs))
		if int64(len(o.outputs)) != perms {
			c.Detail += ", summed over the Fock states that clicks and lost photons stand for"
		}
		c.Memory = base + outcomeBytes(md, o.outputs, perms, workers) +
			int64(len(o.outputs))*(16*int64(md.mm)+8*int64(md.m+md.mm)+512)
	}
	return c
}

// tooBig says why a run of cost c is refused under maxTime and budget
// bytes, or "".
func tooBig(c Cost, maxTime time.Duration, budget int64) string {
	var over []string
	if c.Time > maxTime {
		over = append(over, "over this substrate's limit of "+formatDuration(maxTime)+" per run")
	}
	if c.Memory > budget {
		what := "over this substrate's memory budget of "
		if len(over) > 0 {
			what = "its memory budget of "
		}
		over = append(over, what+sokr.FormatBytes(budget))
	}
	if len(over) == 0 {
		return ""
	}
	return c.String() + ": " + strings.Join(over, " and ")
}

// programRefusal says why no run of p can finish under maxTime and
// budget (not even one permanent of its size), or "".
func programRefusal(p *ir.Program, workers int, maxTime time.Duration, budget int64) string {
	n, m := p.Photons(), p.Modes
	if n > maxPhotons {
		return fmt.Sprintf("%d photons in %d modes: more than the %d photons this simulator takes (a permanent of size %d would take %s)",
			n, m, maxPhotons, n, formatDuration(seconds(permanentNs(n, workers))))
	}
	if t := seconds(permanentNs(n, workers)); t > maxTime {
		return fmt.Sprintf("%d photons in %d modes: one permanent evaluation of size %d takes about %s, over this substrate's limit of %s per run",
			n, m, n, formatDuration(t), formatDuration(maxTime))
	}
	if b := modelBytes(m, len(p.Input), n) + overheadBytes; b > budget {
		return fmt.Sprintf("%d photons in %d modes: the transfer matrix alone needs %s, over this substrate's memory budget of %s",
			n, m, sokr.FormatBytes(b), sokr.FormatBytes(budget))
	}
	return ""
}
