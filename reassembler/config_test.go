package reassembler

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if err := (&Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	err := (&Config{MaxStreamBytes: -1, MaxDatagramBytes: 1 << 33}).Validate()
	if err == nil || !strings.Contains(err.Error(), "MaxStreamBytes is negative") ||
		!strings.Contains(err.Error(), "MaxDatagramBytes (8589934592) is more than") {
		t.Errorf("error %v", err)
	}
	// New does not fail: a setting past what a record value holds is
	// used as that limit.
	r := New(Config{MaxStreamBytes: 1 << 33, MaxDatagramBytes: 1 << 40})
	if r.cfg.MaxStreamBytes != MaxValueBytes || r.cfg.MaxDatagramBytes != MaxValueBytes {
		t.Errorf("limits %d, %d: want %d", r.cfg.MaxStreamBytes, r.cfg.MaxDatagramBytes, uint64(MaxValueBytes))
	}
}
