package tally

import (
	"testing"
	"time"
)

// mulCostNs measures one circl ristretto255 Element.Mul, the unit in which
// the speed targets are stated, in the same run as the benchmark. It keeps
// the fastest of several rounds to damp noise from other processes.
func mulCostNs() float64 {
	rnd := seeded("mul baseline")
	s, _ := RandomScalar(rnd)
	p := newElement().MulGen(s)
	q := newElement()
	best := time.Duration(1 << 62)
	for round := 0; round < 5; round++ {
		start := time.Now()
		for i := 0; i < 40; i++ {
			q.Mul(p, s)
		}
		best = min(best, time.Since(start))
	}
	return float64(best.Nanoseconds()) / 40
}

// reportMuls reports the cost per unit (a contest, or "op" for one
// iteration) in nanoseconds and in multiples of Element.Mul.
func reportMuls(b *testing.B, mul float64, units int, unit string) {
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N*units)
	if unit != "op" {
		b.ReportMetric(per, "ns/"+unit)
	}
	b.ReportMetric(per/mul, "muls/"+unit)
	b.ReportMetric(mul, "ns/mul")
}
