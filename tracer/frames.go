package tracer

// A flow's frame numbers grow in one slice, the first 8 inline in the
// flow, doubling as append would; the buffers it outgrows go to a free
// list of the Tracer for the next flows (bounded: freeFrameBytes), so that
// a flow costs one allocation for its frames however many doublings it
// takes. When the flow ends its record gets the last buffer (or a copy of
// the inline frames, inline in the record). With a Sink, which sees the
// record as it stands at every packet, buffers are not reused.

// freeFrameBytes bounds the bytes of frame buffers kept for reuse.
const freeFrameBytes = 4 << 20

// frameClasses are the buffer capacities kept: 16 << i, at most
// freePerClass of each (fixed storage: keeping one allocates nothing).
const (
	frameClasses = 16
	freePerClass = 32
)

type freeList struct {
	n int
	b [freePerClass][]uint64
}

// addFrame appends frame index idx to the frames of f.
func (t *Tracer) addFrame(f *flow, idx uint64) {
	if len(f.frames) >= t.cfg.MaxFrames {
		f.truncated = true
		return
	}
	if len(f.frames) < cap(f.frames) || t.cfg.Sink != nil {
		f.frames = append(f.frames, idx)
		return
	}
	c := 2 * cap(f.frames)
	var b []uint64
	if k := frameClass(c); k >= 0 {
		if l := &t.freeFrames[k]; l.n > 0 {
			l.n--
			b, l.b[l.n] = l.b[l.n][:0], nil
			t.freeBytes -= 8 * c
		}
	}
	if b == nil {
		b = make([]uint64, 0, c)
	}
	b = append(append(b, f.frames...), idx)
	t.recycle(f)
	f.frames = b
}

// frameClass returns the free list of buffers of capacity c, or -1.
func frameClass(c int) int {
	for k := range frameClasses {
		if 16<<k == c {
			return k
		}
	}
	return -1
}

// recycle puts the grown buffer of f, if any, on its free list.
func (t *Tracer) recycle(f *flow) {
	c := cap(f.frames)
	if c <= len(f.frames0) || t.cfg.Sink != nil || t.freeBytes+8*c > freeFrameBytes {
		return
	}
	if k := frameClass(c); k >= 0 && t.freeFrames[k].n < freePerClass {
		l := &t.freeFrames[k]
		l.b[l.n] = f.frames
		l.n++
		t.freeBytes += 8 * c
	}
}

// frameList returns the frames of f for its record: the inline ones
// copied into the record, or the grown buffer.
func (t *Tracer) frameList(f *flow) []uint64 {
	if cap(f.frames) <= len(f.frames0) {
		n := copy(f.r.frames0[:], f.frames)
		return f.r.frames0[:n:len(f.r.frames0)]
	}
	return f.frames
}
