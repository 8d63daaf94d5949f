//go:build !unix

package client

import "os"

// On systems without flock only goroutines of one process are serialised
// (by the per-path mutex of FileStateStore).
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
