package hostprobe

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// CollectOptions says where Collect reads from.
type CollectOptions struct {
	// Root is the host filesystem root: "/" for this machine, or a directory where a host's root
	// is mounted (or a fixture).
	Root string
	// DmesgFile, if set, is read for kernel log lines instead of /dev/kmsg.
	DmesgFile string
}

var dmesgRE = regexp.MustCompile(DmesgPattern)

// Collect reads the evidence from a host root and writes it in the dump format, the same as the
// probe pod's Script prints.
func Collect(opts CollectOptions) ([]byte, error) {
	root := opts.Root
	if root == "" {
		root = "/"
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("host root %q is not a readable directory", root)
	}
	var b bytes.Buffer
	line := func(parts ...string) { b.WriteString(strings.Join(parts, " ") + "\n") }
	line(Header)
	machine, release := unameOf(root)
	if machine != "" {
		line(mUnameMachine, machine)
	}
	if release != "" {
		line(mUnameRelease, release)
	}
	for _, f := range Files {
		data, err := readCapped(filepath.Join(root, f.Path), MaxFileBytes)
		if err != nil {
			line(mMissing, f.Path)
			continue
		}
		line(mFile, f.Path)
		for i, l := range splitLines(data) {
			if (f.FirstBlock && strings.TrimSpace(l) == "") || (f.FirstLine && i > 0) {
				break
			}
			b.WriteString(contentPrefix + l + "\n")
		}
	}
	for _, p := range Paths {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			line(mExists, p)
		} else {
			line(mAbsent, p)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(root, PCIDevicesDir))
	for _, e := range entries {
		dir := filepath.Join(root, PCIDevicesDir, e.Name())
		vendor, err := readCapped(filepath.Join(dir, "vendor"), 64)
		if err != nil {
			continue
		}
		device, _ := readCapped(filepath.Join(dir, "device"), 64)
		class, _ := readCapped(filepath.Join(dir, "class"), 64)
		line(mPCI, e.Name(), strings.TrimSpace(string(vendor)), strings.TrimSpace(string(device)), strings.TrimSpace(string(class)))
	}
	lines, reason := kernelLog(root, opts.DmesgFile)
	if reason != "" {
		line(mDmesgNone, reason)
	}
	var kept []string
	for _, l := range lines {
		if dmesgRE.MatchString(l) {
			kept = append(kept, l)
		}
	}
	if len(kept) > MaxDmesgLines {
		kept = kept[len(kept)-MaxDmesgLines:]
	}
	for _, l := range kept {
		line(mDmesg, l)
	}
	line(mEnd)
	return b.Bytes(), nil
}

func unameOf(root string) (machine, release string) {
	if filepath.Clean(root) == "/" {
		if m, r, ok := localUname(); ok {
			return m, r
		}
	}
	// A mounted host root: the kernel tells its release and (since 6.1) its arch under /proc.
	if data, err := readCapped(filepath.Join(root, "proc/sys/kernel/arch"), 64); err == nil {
		machine = strings.TrimSpace(string(data))
	}
	if data, err := readCapped(filepath.Join(root, "proc/sys/kernel/osrelease"), 256); err == nil {
		release = strings.TrimSpace(string(data))
	}
	return machine, release
}

func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max))
}

func splitLines(data []byte) []string {
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// kernelLog returns the kernel log as lines, or why it cannot be read.
func kernelLog(root, file string) ([]string, string) {
	if file != "" {
		data, err := readCapped(file, MaxDumpBytes)
		if err != nil {
			return nil, fmt.Sprintf("cannot read %s: %v", file, err)
		}
		return splitLines(data), ""
	}
	if filepath.Clean(root) != "/" {
		return nil, "no kernel log for a mounted host root (pass --dmesg FILE)"
	}
	lines, err := readKmsg("/dev/kmsg")
	if err != nil {
		return nil, fmt.Sprintf("cannot read /dev/kmsg: %v (run as root or with CAP_SYSLOG)", err)
	}
	return lines, ""
}

// formatKmsgRecord turns "6,123,4567890,-;text\n KEY=value" into "[    4.567890] text".
func formatKmsgRecord(rec string) []string {
	head, msg, ok := strings.Cut(rec, ";")
	if !ok {
		return nil
	}
	fields := strings.Split(head, ",")
	ts := ""
	if len(fields) >= 3 {
		if usec, err := strconv.ParseInt(fields[2], 10, 64); err == nil {
			ts = fmt.Sprintf("[%5d.%06d] ", usec/1e6, usec%1e6)
		}
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(msg))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), " ") { // dictionary continuation lines (SUBSYSTEM=...)
			continue
		}
		out = append(out, ts+sc.Text())
	}
	return out
}
