package hostprobe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Evidence is a parsed dump: what the host showed, nothing judged yet.
type Evidence struct {
	Machine string
	Release string
	// Files maps a host path to its (possibly cut) content.
	Files map[string]string
	// Missing holds files the probe could not read.
	Missing map[string]bool
	// Exists maps a checked path to whether it exists; a path not in the map was not checked.
	Exists map[string]bool
	PCI    []PCIDevice
	Dmesg  []string
	// DmesgUnavailable says why the kernel log could not be read ("" when it could).
	DmesgUnavailable string
	// Complete is false when the dump ended before its end marker (cut log, killed probe).
	Complete bool
}

// PCIDevice is one PCI function as sysfs shows it.
type PCIDevice struct {
	Address, Vendor, Device, Class string
}

// ErrNotEvidence is returned for input that is not an evidence dump at all.
var ErrNotEvidence = errors.New("not a teecheck evidence dump (missing header " + Header + ")")

// Parse reads an evidence dump. It never panics on malformed input: unknown records are
// ignored, over-long lines are an error, and a dump without its end marker is returned with
// Complete=false so that the verdict can say so.
func Parse(r io.Reader) (*Evidence, error) {
	ev := &Evidence{Files: map[string]string{}, Missing: map[string]bool{}, Exists: map[string]bool{}}
	sc := bufio.NewScanner(io.LimitReader(r, MaxDumpBytes))
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	var (
		sawHeader bool
		current   string // file whose content lines follow
		content   []string
	)
	flush := func() {
		if current != "" {
			ev.Files[current] = strings.Join(content, "\n")
		}
		current, content = "", nil
	}
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if !sawHeader {
			// Anything before the header (a shell's noise, kubectl's warnings) is skipped.
			if strings.TrimSpace(line) == Header {
				sawHeader = true
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, contentPrefix); ok && current != "" {
			content = append(content, rest)
			continue
		}
		if line+" " == contentPrefix && current != "" { // an empty content line whose space was trimmed
			content = append(content, "")
			continue
		}
		flush()
		marker, value, _ := strings.Cut(line, " ")
		switch marker {
		case mUnameMachine:
			ev.Machine = strings.TrimSpace(value)
		case mUnameRelease:
			ev.Release = strings.TrimSpace(value)
		case mFile:
			if p := strings.TrimSpace(value); p != "" {
				current = p
				content = nil
				ev.Files[p] = ""
			}
		case mMissing:
			ev.Missing[strings.TrimSpace(value)] = true
		case mExists:
			ev.Exists[strings.TrimSpace(value)] = true
		case mAbsent:
			ev.Exists[strings.TrimSpace(value)] = false
		case mPCI:
			f := strings.Fields(value)
			if len(f) >= 2 {
				d := PCIDevice{Address: f[0], Vendor: strings.ToLower(f[1])}
				if len(f) > 2 {
					d.Device = strings.ToLower(f[2])
				}
				if len(f) > 3 {
					d.Class = strings.ToLower(f[3])
				}
				ev.PCI = append(ev.PCI, d)
			}
		case mDmesg:
			if len(ev.Dmesg) < MaxDmesgLines {
				ev.Dmesg = append(ev.Dmesg, value)
			}
		case mDmesgNone:
			ev.DmesgUnavailable = strings.TrimSpace(value)
			if ev.DmesgUnavailable == "" {
				ev.DmesgUnavailable = "kernel log not readable"
			}
		case mEnd:
			ev.Complete = true
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return ev, fmt.Errorf("evidence has a line longer than %d bytes: not a dump this tool wrote", MaxLineBytes)
		}
		return ev, fmt.Errorf("reading evidence: %w", err)
	}
	if !sawHeader {
		return nil, ErrNotEvidence
	}
	return ev, nil
}

// File returns a file's content with surrounding space trimmed, and whether it was read.
func (e *Evidence) File(path string) (string, bool) {
	v, ok := e.Files[path]
	return strings.TrimSpace(v), ok
}

// CPUInfo returns the value of the first "key : value" line of /proc/cpuinfo with that key.
func (e *Evidence) CPUInfo(key string) (string, bool) {
	for _, l := range strings.Split(e.Files["/proc/cpuinfo"], "\n") {
		k, v, ok := strings.Cut(l, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// CPUFlags returns the x86 CPU flags (or s390x features) as a set.
func (e *Evidence) CPUFlags() map[string]bool {
	set := map[string]bool{}
	for _, key := range []string{"flags", "features"} {
		if v, ok := e.CPUInfo(key); ok {
			for _, f := range strings.Fields(v) {
				set[f] = true
			}
		}
	}
	return set
}

// DmesgMatching returns the kernel log lines containing s (case-insensitive).
func (e *Evidence) DmesgMatching(s string) []string {
	var out []string
	ls := strings.ToLower(s)
	for _, l := range e.Dmesg {
		if strings.Contains(strings.ToLower(l), ls) {
			out = append(out, l)
		}
	}
	return out
}
