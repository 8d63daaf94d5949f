//go:build !linux

package immubench

func peakRSS() (uint64, bool) { return 0, false }
