package store

import "golang.org/x/sys/unix"

// reservesUnwritten reports whether dir is on a file system whose
// fallocate leaves blocks "unwritten" until data reaches them, so that
// writing zeros ahead saves each fsync an extent conversion: ext4 and XFS.
// Elsewhere (copy-on-write file systems, tmpfs, overlays) the zeros would
// only be written twice.
func reservesUnwritten(dir string) bool {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return false
	}
	switch uint32(st.Type) {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC:
		return true
	}
	return false
}
