package hostprobe

import (
	"fmt"
	"strings"
)

// Script is the POSIX shell program (busybox is enough) that the probe pod runs. It reads the
// host's /proc, /sys and /dev mounted read-only under root and prints the evidence dump on
// stdout. It is generated from the same lists as Collect, so both paths report the same facts.
func Script(root string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("R=%s", shellQuote(root))
	w("echo %s", shellQuote(Header))
	w(`echo "%s $(uname -m)"`, mUnameMachine)
	w(`echo "%s $(uname -r)"`, mUnameRelease)
	// awk always ends a record with a newline, so a file without one cannot swallow the next marker.
	w(`emit() {`)
	w(`  if [ ! -r "$R$1" ]; then echo "%s $1"; return; fi`, mMissing)
	w(`  echo "%s $1"`, mFile)
	w(`  case "$2" in`)
	w(`    block) head -c %d "$R$1" | awk 'NF==0{exit} {print "%s" $0}' ;;`, MaxFileBytes, contentPrefix)
	w(`    line) head -c %d "$R$1" | awk 'NR>1{exit} {print "%s" $0}' ;;`, MaxFileBytes, contentPrefix)
	w(`    *) head -c %d "$R$1" | awk '{print "%s" $0}' ;;`, MaxFileBytes, contentPrefix)
	w(`  esac`)
	w(`}`)
	for _, f := range Files {
		mode := "all"
		switch {
		case f.FirstBlock:
			mode = "block"
		case f.FirstLine:
			mode = "line"
		}
		w("emit %s %s", shellQuote(f.Path), mode)
	}
	for _, p := range Paths {
		w(`if [ -e "$R"%s ]; then echo "%s %s"; else echo "%s %s"; fi`, shellQuote(p), mExists, p, mAbsent, p)
	}
	w(`for d in "$R"%s/*; do [ -r "$d/vendor" ] || continue; echo "%s ${d##*/} $(cat "$d/vendor") $(cat "$d/device" 2>/dev/null) $(cat "$d/class" 2>/dev/null)"; done`,
		shellQuote(PCIDevicesDir), mPCI)
	w(`if dmesg >/dev/null 2>&1; then dmesg | grep -E %s | tail -n %d | awk '{print "%s " $0}'; else echo "%s $(dmesg 2>&1 >/dev/null | head -n 1)"; fi`,
		shellQuote(DmesgPattern), MaxDmesgLines, mDmesg, mDmesgNone)
	w("echo %s", mEnd)
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
