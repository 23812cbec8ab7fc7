package tracer

// Flow deadlines (idle timeout, or CloseDelay after FIN/RST) sit in a
// min-heap ordered by (deadline, first frame): a packet only updates its
// flow's times, and Advance pops the due entries, ending the flow or
// pushing it back at its new deadline.
//
// The heap never touches the flows: an entry carries its keys, and a flow
// knows only the deadline and generation of its current entry (flow.hdl,
// flow.gen). An entry is current while its generation is its flow's;
// others (the flow ended outside Advance, or its deadline was moved
// earlier by a new entry; a flow's generation also changes when it ends,
// and the struct is reused) are dropped when they reach the top, or all at
// once when they outnumber the current ones (compact). The current
// entries, and so the order in which flows come out, are those an eager
// heap would hold.
type hent struct {
	deadline int64 // may lag the flow's real deadline
	first    uint64
	f        *flow
	gen      uint64
}

type flowHeap struct {
	h     []hent
	stale int // entries made non-current, not yet dropped (an upper bound)
}

func (e *hent) current() bool { return e.gen == e.f.gen }

func less(a, b *hent) bool {
	if a.deadline != b.deadline {
		return a.deadline < b.deadline
	}
	return a.first < b.first
}

func (q *flowHeap) up(j int) {
	h := q.h
	e := h[j]
	for j > 0 {
		i := (j - 1) / 2
		if !less(&e, &h[i]) {
			break
		}
		h[j] = h[i]
		j = i
	}
	h[j] = e
}

func (q *flowHeap) down(i int) {
	h := q.h
	n := len(h)
	e := h[i]
	for {
		j := 2*i + 1
		if j >= n || j < 0 {
			break
		}
		if j2 := j + 1; j2 < n && less(&h[j2], &h[j]) {
			j = j2
		}
		if !less(&h[j], &e) {
			break
		}
		h[i] = h[j]
		i = j
	}
	h[i] = e
}

// push adds an entry for f at deadline, which becomes f's current one.
func (q *flowHeap) push(f *flow, deadline int64) {
	f.hdl = deadline
	f.gen++
	q.h = append(q.h, hent{deadline, f.r.First, f, f.gen})
	q.up(len(q.h) - 1)
}

// pop removes the top entry.
func (q *flowHeap) pop() {
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h[n] = hent{}
	q.h = q.h[:n]
	if n > 0 {
		q.down(0)
	}
}

// top returns the top entry, dropping the non-current ones above it, or
// nil.
func (q *flowHeap) top() *hent {
	for len(q.h) > 0 {
		if e := &q.h[0]; e.current() {
			return e
		}
		q.pop()
		if q.stale > 0 {
			q.stale--
		}
	}
	return nil
}

// retime moves the (current) top entry to deadline.
func (q *flowHeap) retime(deadline int64) {
	q.h[0].deadline = deadline
	q.h[0].f.hdl = deadline
	q.down(0)
}

// invalidate counts one entry made non-current, and compacts the heap
// when such entries are the majority.
func (q *flowHeap) invalidate() {
	q.stale++
	if q.stale > 1024 && 2*q.stale > len(q.h) {
		q.compact()
	}
}

// compact drops every non-current entry and rebuilds the heap.
func (q *flowHeap) compact() {
	h := q.h[:0]
	for _, e := range q.h {
		if e.current() {
			h = append(h, e)
		}
	}
	clear(q.h[len(h):])
	q.h = h
	for i := len(h)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
	q.stale = 0
}

// reset empties the heap.
func (q *flowHeap) reset() {
	clear(q.h)
	q.h = q.h[:0]
	q.stale = 0
}
