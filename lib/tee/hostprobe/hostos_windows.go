//go:build windows

package hostprobe

import "errors"

// localUname has no answer on Windows: a TEE host is Linux; Windows users probe nodes (--deep).
func localUname() (machine, release string, ok bool) { return "", "", false }

func readKmsg(string) ([]string, error) {
	return nil, errors.New("there is no kernel log to read on Windows")
}
