package reassembler

// pool keeps the buffers (bytes, frame lists) of ended streams and
// datagrams for reuse, in size classes, at most limit elements of
// capacity in all, so that a warm
// Reassembler neither allocates nor clears them. Buffers lent to the
// records being emitted are retired first and come back to the pool only
// once emit has returned (release).
type pool[T any] struct {
	class   []int // capacities, ascending
	max     int   // the largest buffer: a class of its own when no class fits
	limit   int
	size    int
	free    [][][]T // per class, then the max-sized buffers
	retired [][]T
	// lent is set when a buffer is retired (the owner's flag: one for all
	// its pools, cleared when they release).
	lent *bool
}

func newPool[T any](class []int, max, limit int, lent *bool) pool[T] {
	return pool[T]{class: class, max: max, limit: limit, free: make([][][]T, len(class)+1), lent: lent}
}

// classOf returns the pool class of a buffer capacity, or -1.
func (bp *pool[T]) classOf(c int) int {
	for i, s := range bp.class {
		if c == s {
			return i
		}
	}
	if c == bp.max {
		return len(bp.class)
	}
	return -1
}

// sizeFor returns the capacity of the buffer get(need) returns: the
// smallest class that holds need elements, but at most max.
func (bp *pool[T]) sizeFor(need int) int {
	for _, s := range bp.class {
		if s >= need {
			return min(s, bp.max)
		}
	}
	return bp.max
}

// get returns an empty buffer of capacity at least need: the smallest
// class that holds need bytes, but at most max (need <= max).
func (bp *pool[T]) get(need int) []T {
	size := bp.sizeFor(need)
	if cls := bp.classOf(size); cls >= 0 {
		if k := len(bp.free[cls]); k > 0 {
			b := bp.free[cls][k-1]
			bp.free[cls][k-1] = nil
			bp.free[cls] = bp.free[cls][:k-1]
			bp.size -= cap(b)
			return b[:0]
		}
	}
	return make([]T, 0, size)
}

// grow returns b with room for need bytes, its bytes kept (b goes back
// to the pool when replaced).
func (bp *pool[T]) grow(b []T, need int) []T {
	if need <= cap(b) {
		return b
	}
	nb := append(bp.get(need), b...)
	bp.put(b)
	return nb
}

// put returns a buffer to the pool, if it is of a pooled size and the
// pool has room.
func (bp *pool[T]) put(b []T) {
	if cls := bp.classOf(cap(b)); cls >= 0 && bp.size+cap(b) <= bp.limit {
		bp.free[cls] = append(bp.free[cls], b[:0])
		bp.size += cap(b)
	}
}

// retire hands a buffer that a record being emitted may lend to the pool
// once the emit calls are over.
func (bp *pool[T]) retire(b []T) {
	if cap(b) > 0 {
		bp.retired = append(bp.retired, b)
		*bp.lent = true
	}
}

// release returns the retired buffers to the pool.
func (bp *pool[T]) release() {
	if len(bp.retired) > 0 {
		bp.releaseAll()
	}
}

func (bp *pool[T]) releaseAll() {
	for i, b := range bp.retired {
		bp.put(b)
		bp.retired[i] = nil
	}
	bp.retired = bp.retired[:0]
}
