package reassembler

import (
	"strconv"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if err := (&Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	if strconv.IntSize < 64 {
		t.Skip("an int cannot hold a setting past 4 GiB here")
	}
	var huge uint64 = 1 << 33
	err := (&Config{MaxStreamBytes: -1, MaxDatagramBytes: int(huge)}).Validate()
	if err == nil || !strings.Contains(err.Error(), "MaxStreamBytes is negative") ||
		!strings.Contains(err.Error(), "MaxDatagramBytes (8589934592) is more than") {
		t.Errorf("error %v", err)
	}
	// New does not fail: a setting past what a record value holds is
	// used as that limit.
	r := New(Config{MaxStreamBytes: int(huge), MaxDatagramBytes: int(huge << 7)})
	if uint64(r.cfg.MaxStreamBytes) != MaxValueBytes || uint64(r.cfg.MaxDatagramBytes) != MaxValueBytes {
		t.Errorf("limits %d, %d: want %d", r.cfg.MaxStreamBytes, r.cfg.MaxDatagramBytes, uint64(MaxValueBytes))
	}
}
