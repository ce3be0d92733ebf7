package hostprobe

import (
	"bufio"
	"cmp"
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
	p := &parser{ev: &Evidence{Files: map[string]string{}, Missing: map[string]bool{}, Exists: map[string]bool{}}}
	sc := bufio.NewScanner(io.LimitReader(r, MaxDumpBytes))
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	for sc.Scan() {
		p.line(strings.TrimRight(sc.Text(), "\r"))
	}
	p.flush()
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return p.ev, fmt.Errorf("evidence has a line longer than %d bytes: not a dump this tool wrote", MaxLineBytes)
		}
		return p.ev, fmt.Errorf("reading evidence: %w", err)
	}
	if !p.sawHeader {
		return nil, ErrNotEvidence
	}
	return p.ev, nil
}

// parser is Parse's state between lines.
type parser struct {
	ev        *Evidence
	sawHeader bool
	current   string // file whose content lines follow
	content   []string
}

// line takes one line: skipped before the header, a content line of the current file, or a
// record.
func (p *parser) line(line string) {
	if !p.sawHeader {
		// Anything before the header (a shell's noise, kubectl's warnings) is skipped.
		p.sawHeader = strings.TrimSpace(line) == Header
		return
	}
	if p.current != "" {
		if rest, ok := strings.CutPrefix(line, contentPrefix); ok {
			p.content = append(p.content, rest)
			return
		}
		if line+" " == contentPrefix { // an empty content line whose space was trimmed
			p.content = append(p.content, "")
			return
		}
	}
	p.flush()
	marker, value, _ := strings.Cut(line, " ")
	p.record(marker, value)
}

// flush stores the content of the file being read.
func (p *parser) flush() {
	if p.current != "" {
		p.ev.Files[p.current] = strings.Join(p.content, "\n")
	}
	p.current, p.content = "", nil
}

// record takes one record; unknown markers are ignored (a newer probe's records).
func (p *parser) record(marker, value string) {
	ev, v := p.ev, strings.TrimSpace(value)
	switch marker {
	case mUnameMachine:
		ev.Machine = v
	case mUnameRelease:
		ev.Release = v
	case mFile:
		if v != "" {
			p.current = v
			ev.Files[v] = ""
		}
	case mMissing:
		ev.Missing[v] = true
	case mExists:
		ev.Exists[v] = true
	case mAbsent:
		ev.Exists[v] = false
	case mPCI:
		if d, ok := parsePCI(value); ok {
			ev.PCI = append(ev.PCI, d)
		}
	case mDmesg:
		if len(ev.Dmesg) < MaxDmesgLines {
			ev.Dmesg = append(ev.Dmesg, value)
		}
	case mDmesgNone:
		ev.DmesgUnavailable = cmp.Or(v, "kernel log not readable")
	case mEnd:
		ev.Complete = true
	}
}

// parsePCI reads "ADDRESS VENDOR [DEVICE [CLASS]]".
func parsePCI(value string) (PCIDevice, bool) {
	f := strings.Fields(value)
	if len(f) < 2 {
		return PCIDevice{}, false
	}
	d := PCIDevice{Address: f[0], Vendor: strings.ToLower(f[1])}
	if len(f) > 2 {
		d.Device = strings.ToLower(f[2])
	}
	if len(f) > 3 {
		d.Class = strings.ToLower(f[3])
	}
	return d, true
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
