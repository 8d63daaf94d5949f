//go:build !linux

package store

// reservesUnwritten: zeros ahead are measured on Linux's ext4 only.
func reservesUnwritten(string) bool { return false }
