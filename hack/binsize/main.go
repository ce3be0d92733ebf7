// Command binsize says what each module adds to a Go binary: it sums the sizes of the binary's
// symbols (go tool nm -size) by the module that defines them (go version -m lists the modules).
// It counts code and read-only data (nm types T and R: what the file holds; zeroed data takes
// no file space); the runtime's tables (pclntab) grow with the code but are not attributed, so
// the shares are of the symbol total.
//
//	go build -o /tmp/kubectl-coco ./plugins/coco && go run ./hack/binsize /tmp/kubectl-coco
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: binsize BINARY (built without -s -w)")
		os.Exit(2)
	}
	bin := os.Args[1]
	modules, err := modulesOf(bin)
	if err != nil {
		fail(err)
	}
	out, err := exec.Command("go", "tool", "nm", "-size", bin).Output()
	if err != nil {
		fail(fmt.Errorf("go tool nm: %w (was the binary stripped?)", err))
	}
	bySize := map[string]int64{}
	var total int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || !strings.Contains("TtRr", f[2]) { // code and read-only data: what is in the file
			continue
		}
		total += size
		bySize[owner(strings.Join(f[3:], " "), modules)] += size
	}
	type row struct {
		mod  string
		size int64
	}
	var rows []row
	for m, s := range bySize {
		rows = append(rows, row{m, s})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].size > rows[j].size })
	st, _ := os.Stat(bin)
	fmt.Printf("%s: %.1f MiB file, %.1f MiB of code and read-only data in symbols\n", bin, mib(st.Size()), mib(total))
	for i, r := range rows {
		if i == 15 {
			break
		}
		fmt.Printf("  %-45s %6.1f MiB  %4.1f%%\n", r.mod, mib(r.size), 100*float64(r.size)/float64(total))
	}
}

// modulesOf lists the module paths built into bin, longest first (for prefix matching).
func modulesOf(bin string) ([]string, error) {
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		return nil, err
	}
	var mods []string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && (f[0] == "dep" || f[0] == "mod") {
			mods = append(mods, f[1])
		}
	}
	sort.Slice(mods, func(i, j int) bool { return len(mods[i]) > len(mods[j]) })
	return mods, nil
}

// owner maps a symbol to its module: the standard library and runtime tables for the rest.
func owner(sym string, modules []string) string {
	s := sym
	for _, p := range []string{"type:", "go:itab.", "go:", "*"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimLeft(s, "*[](")
	for _, m := range modules {
		if strings.HasPrefix(s, m+"/") || strings.HasPrefix(s, m+".") {
			return m
		}
	}
	if i := strings.IndexAny(s, "./"); i > 0 && !strings.Contains(s[:i], ".") && !strings.HasPrefix(sym, "go:") {
		return "std"
	}
	return "std and runtime tables"
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "binsize:", err)
	os.Exit(1)
}
