//go:build linux && (amd64 || arm64)

package ingest

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// evict drops the page cache of the file at path (posix_fadvise
// POSIX_FADV_DONTNEED), so that the next read comes from the disk.
func evict(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil { // dirty pages are not dropped
		b.Fatal(err)
	}
	const fadvDontNeed = 4
	if _, _, e := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); e != 0 {
		b.Skipf("fadvise: %v", e)
	}
}

// BenchmarkReadColdFile reads a pcap file of 100,000 frames whose pages
// were dropped from the page cache before each read: Open (stream) against
// OpenMapped.
func BenchmarkReadColdFile(b *testing.B) {
	pcap, _ := benchCaptures(b, benchFrames)
	path := filepath.Join(b.TempDir(), "cold.pcap")
	if err := os.WriteFile(path, pcap, 0o600); err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"open", "mapped"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(pcap)))
			var f Frame
			for range b.N {
				b.StopTimer()
				evict(b, path)
				b.StartTimer()
				open := Open
				if mode != "open" {
					open = OpenMapped
				}
				r, c, err := open(path, ReaderOptions{})
				if err != nil {
					b.Fatal(err)
				}
				for {
					if err := r.Next(&f); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
				c.Close()
			}
		})
	}
}
