package jsbus

import (
	"context"
)

// replicas is the replica count Setup declares stream name with: sc.Replicas
// when set, else the existing stream's own (1 for a new stream), so that a
// client or service running Setup with the zero StreamConfig never scales
// down the streams of a clustered deployment (whose server declared them
// with 3 replicas).
func (c *Conn) replicas(ctx context.Context, sc StreamConfig, name string) int {
	if sc.Replicas > 0 {
		return sc.Replicas
	}
	s, err := c.JS.Stream(ctx, name)
	if err != nil {
		return 1
	}
	return max(s.CachedInfo().Config.Replicas, 1)
}

// kvStream and objStream are the stream names of a bucket and an object
// store.
func kvStream(bucket string) string  { return "KV_" + bucket }
func objStream(bucket string) string { return "OBJ_" + bucket }
