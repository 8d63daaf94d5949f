//go:build linux

package immubench

import "syscall"

// peakRSS is the process's peak resident set size in bytes.
func peakRSS() (uint64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return uint64(ru.Maxrss) << 10, true // Linux reports KiB
}
