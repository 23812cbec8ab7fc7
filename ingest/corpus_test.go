package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/ingest/ingesttest"
)

// corpusKnownDiffs lists corpus files whose frames legitimately differ
// from tshark's, and why. dropTshark lists tshark frame numbers that are
// not packets for us.
//
// Differences in files tagged malformed are not listed (they do not fail
// the test) but are known: tcpdump__timestamp_invalid_{micro,nano}.pcap
// hold fractions of a second >= 1 s, which the reader carries into the
// seconds (tshark prints them as they are); suricata__bug-6875-01__fuzz.pcap
// claims a 1.4 GB record at frame 2, which the reader rejects
// (ErrRecordTooLarge) where tshark guesses another record layout.
var corpusKnownDiffs = map[string]struct {
	dropTshark []int
	reason     string
}{
	"gopacket__pcapgo__tests__le__test017.pcapng": {[]int{1, 2, 3, 4},
		"tshark 4.0 numbers pcapng custom blocks (0x00000bad, 0x40000bad) as frames; they are not packets, and the reader skips them"},
	"gopacket__pcapgo__tests__le__test202.pcapng": {[]int{1, 7, 10},
		"tshark 4.0 numbers pcapng custom blocks as frames; the reader skips them"},
	"gopacket__pcapgo__tests__be__test202.pcapng": {[]int{1, 7, 10},
		"tshark 4.0 numbers pcapng custom blocks as frames; the reader skips them"},
}

// corpusTags reads the tags column of MANIFEST.tsv.
func corpusTags(t *testing.T, dir string) map[string]map[string]bool {
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var nameCol, tagsCol = -1, -1
	tags := map[string]map[string]bool{}
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if nameCol < 0 {
			for i, c := range cols {
				switch c {
				case "name":
					nameCol = i
				case "tags":
					tagsCol = i
				}
			}
			if nameCol < 0 || tagsCol < 0 {
				t.Fatalf("MANIFEST.tsv: no name/tags columns in header %q", sc.Text())
			}
			continue
		}
		if len(cols) <= tagsCol {
			continue
		}
		set := map[string]bool{}
		for _, tag := range strings.Split(cols[tagsCol], ",") {
			set[tag] = true
		}
		tags[cols[nameCol]] = set
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return tags
}

type tsharkFrame struct {
	Number []string `json:"frame.number"`
	Time   []string `json:"frame.time_epoch"`
	Len    []string `json:"frame.len"`
	CapLen []string `json:"frame.cap_len"`
}

func readTshark(path string) ([]tsharkFrame, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []tsharkFrame
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var f tsharkFrame
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// parseEpoch parses tshark's "SECONDS.NNNNNNNNN".
func parseEpoch(s string) (int64, uint32, bool) {
	i := strings.IndexByte(s, '.')
	if i < 0 || len(s)-i-1 != 9 || strings.HasPrefix(s, "-") {
		return 0, 0, false
	}
	sec, err1 := strconv.ParseInt(s[:i], 10, 64)
	ns, err2 := strconv.ParseUint(s[i+1:], 10, 32)
	return sec, uint32(ns), err1 == nil && err2 == nil
}

// frameDiff compares one frame with tshark's; "" when equal.
func frameDiff(f *Frame, w *tsharkFrame) string {
	var d []string
	if len(w.Time) == 0 {
		// tshark shows no time for Simple Packet Blocks (they have none);
		// the reader gives them 0.
		if f.Sec != 0 || f.Nsec != 0 {
			d = append(d, fmt.Sprintf("time %d.%09d, tshark none", f.Sec, f.Nsec))
		}
	} else if sec, ns, ok := parseEpoch(w.Time[0]); !ok || sec != f.Sec || ns != f.Nsec {
		d = append(d, fmt.Sprintf("time %d.%09d, tshark %s", f.Sec, f.Nsec, w.Time[0]))
	}
	if len(w.Len) != 1 || w.Len[0] != strconv.FormatUint(uint64(f.OrigLen), 10) {
		d = append(d, fmt.Sprintf("len %d, tshark %v", f.OrigLen, w.Len))
	}
	if len(w.CapLen) != 1 || w.CapLen[0] != strconv.FormatUint(uint64(f.CapLen), 10) {
		d = append(d, fmt.Sprintf("cap_len %d, tshark %v", f.CapLen, w.CapLen))
	}
	return strings.Join(d, "; ")
}

// readCorpusFile reads a whole file, recovering from panics and stopping
// runaway loops.
// broken reports a violated contract (panic, runaway loop, bad frame).
func readCorpusFile(path string) (frames []Frame, end, broken error) {
	defer func() {
		if p := recover(); p != nil {
			broken = fmt.Errorf("panic: %v", p)
		}
	}()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := NewReader(bytes.NewReader(data), filepath.Base(path), ReaderOptions{})
	if err != nil {
		return nil, err, nil
	}
	limit := len(data)/12 + 1
	for {
		var f Frame
		if err := r.Next(&f); err != nil {
			return frames, err, nil
		}
		if int(f.CapLen) != len(f.Data) || f.Nsec >= 1e9 || f.Index != uint64(len(frames)+1) {
			return frames, nil, fmt.Errorf("frame %d breaks the Frame contract (CapLen %d, len %d, Nsec %d)", f.Index, f.CapLen, len(f.Data), f.Nsec)
		}
		f.Data = nil
		frames = append(frames, f)
		if len(frames) > limit {
			return frames, nil, fmt.Errorf("runaway: more than %d frames from %d bytes", limit, len(data))
		}
	}
}

// TestCorpus reads every capture of the shared corpus and compares frame
// counts, timestamps and lengths with tshark's.
//
// Rules:
//   - no file may panic or loop;
//   - a file NOT tagged "malformed" must give exactly tshark's frames
//     (count, frame.time_epoch as sec+nsec, frame.len, frame.cap_len),
//     after removing the tshark rows listed in corpusKnownDiffs, and end
//     with io.EOF;
//   - where tshark could not read a file to its end (NAME.tshark_stderr.txt
//     exists) it printed the frames before the failure. A correct reader
//     either fails too (any non-EOF error; ErrTruncated when tshark says
//     the file was cut short) or reads beyond tshark, i.e. returns more
//     frames. For a non-malformed file its frames must in addition cover
//     tshark's and match them;
//   - in malformed files, differences are counted and logged, not failed:
//     tshark's values there are not ground truth (see COVERAGE.md).
func TestCorpus(t *testing.T) {
	dir := ingesttest.CorpusDir(t)
	tags := corpusTags(t, dir)
	entries, err := os.ReadDir(filepath.Join(dir, "raw"))
	if err != nil {
		t.Fatal(err)
	}
	var files, frames, compared, mismatches, malformedDiffs int
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		files++
		got, end, broken := readCorpusFile(filepath.Join(dir, "raw", name))
		if broken != nil {
			t.Errorf("%s: %v", name, broken)
			continue
		}
		frames += len(got)
		ft, ok := tags[name]
		if !ok {
			t.Errorf("%s: not in MANIFEST.tsv", name)
			continue
		}
		malformed := ft["malformed"]
		want, err := readTshark(filepath.Join(dir, "expected", name+".frames.jsonl"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if kd, ok := corpusKnownDiffs[name]; ok {
			drop := map[string]bool{}
			for _, n := range kd.dropTshark {
				drop[strconv.Itoa(n)] = true
			}
			kept := want[:0]
			for _, w := range want {
				if len(w.Number) == 1 && drop[w.Number[0]] {
					continue
				}
				kept = append(kept, w)
			}
			if len(kept) != len(want)-len(kd.dropTshark) {
				t.Errorf("%s: known difference lists tshark frames %v, not all present", name, kd.dropTshark)
			}
			want = kept
		}
		stderr, err := os.ReadFile(filepath.Join(dir, "expected", name+".tshark_stderr.txt"))
		tsharkFailed := err == nil
		if end == io.EOF {
			end = nil
		}

		fail := t.Errorf
		if malformed {
			fail = func(format string, args ...any) {
				malformedDiffs++
				if testing.Verbose() {
					t.Logf("(malformed, not failing) "+format, args...)
				}
			}
		}
		n := min(len(got), len(want))
		bad := 0
		for i := 0; i < n; i++ {
			compared++
			if d := frameDiff(&got[i], &want[i]); d != "" {
				mismatches++
				bad++
				if bad <= 3 {
					fail("%s: frame %d: %s", name, i+1, d)
				}
			}
		}
		switch {
		case tsharkFailed:
			if end == nil && len(got) <= len(want) {
				t.Errorf("%s: tshark failed (%s) after %d frames; we read %d frames and no error",
					name, strings.TrimSpace(string(stderr)), len(want), len(got))
			}
			if strings.Contains(string(stderr), "cut short") && !errors.Is(end, ErrTruncated) {
				t.Errorf("%s: tshark says the file is cut short; we ended with %v, want ErrTruncated", name, end)
			}
			if !malformed && len(got) < len(want) {
				t.Errorf("%s: %d frames, tshark read %d before failing", name, len(got), len(want))
			}
		case len(got) != len(want):
			mismatches++
			fail("%s: %d frames (end: %v), tshark %d", name, len(got), end, len(want))
		case end != nil:
			mismatches++
			fail("%s: all %d frames read, then error %v", name, len(got), end)
		}
		if end != nil && testing.Verbose() {
			t.Logf("%s: %d frames, then: %v", name, len(got), end)
		}
	}
	t.Logf("corpus: %d files, %d frames read, %d frames compared with tshark, %d mismatches (%d of them in malformed files, not failing)",
		files, frames, compared, mismatches, malformedDiffs)
}
