package tracer

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortFirst: the radix sort of Flush orders as a comparison sort, for
// keys that differ in low, high or all bytes.
func TestSortFirst(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 300, 5000} {
		for _, mask := range []uint64{0xff, 0xffff00, ^uint64(0), 1 << 63} {
			fs := make([]firstFlow, n)
			seen := map[uint64]bool{}
			for i := range fs {
				k := r.Uint64() & mask
				for seen[k] && mask != 0xff && mask != 1<<63 {
					k = r.Uint64() & mask
				}
				seen[k] = true
				fs[i] = firstFlow{k, &flow{}}
			}
			want := slices.Clone(fs)
			slices.SortStableFunc(want, func(a, b firstFlow) int { return cmp.Compare(a.first, b.first) })
			got := sortFirst(slices.Clone(fs), make([]firstFlow, n))
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d mask=%#x: radix order differs from a stable comparison sort", n, mask)
			}
		}
	}
}
