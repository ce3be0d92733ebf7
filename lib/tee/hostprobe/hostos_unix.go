//go:build !windows

package hostprobe

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// localUname is this machine's architecture and kernel release.
func localUname() (machine, release string, ok bool) {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "", "", false
	}
	return unix.ByteSliceToString(u.Machine[:]), unix.ByteSliceToString(u.Release[:]), true
}

// readKmsg reads every record /dev/kmsg holds without blocking, formatted like dmesg.
func readKmsg(path string) ([]string, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var lines []string
	buf := make([]byte, 8192)
	total := 0
	for total < MaxDumpBytes {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, syscall.EPIPE) { // records were overwritten while we read: go on
			continue
		}
		if errors.Is(err, syscall.EAGAIN) || n <= 0 {
			break
		}
		if err != nil {
			return lines, err
		}
		total += n
		lines = append(lines, formatKmsgRecord(string(buf[:n]))...)
	}
	return lines, nil
}
