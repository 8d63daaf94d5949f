package store

import "github.com/attestdb/attestdb/embedded/vfs"

// Zeros ahead of the log's end.
//
// A segment is reserved with fallocate, whose blocks stay "unwritten"
// extents until data reaches them: then every commit's fdatasync also has
// to commit the extents' conversion to the file system's journal. On
// blocks already written (with zeros) an fdatasync only flushes data: on
// ext4 here 96–99 µs instead of 211–243 µs, and with the syncer gathering
// a cohort per fsync that is most of a commit cycle (1-entry txs, 128
// committers: 147–156k → 183–196k tx/s in an experiment that zero-filled
// whole segments; docs/BENCHMARKS.md). Zero-filling a 512 MiB segment at
// creation takes seconds, so the committer instead keeps zeroAheadChunk
// bytes written ahead of where it writes: when the zeroed region's end
// comes within zeroAheadLow of the log's end, it writes the next chunk.
// The zeros reach the disk with the next fsync, which is the one slower
// fsync of each chunk.
//
// Zeros pay off only when the fsyncs carry little data: a run of small txs
// fsynced together. When runs are large (batches of thousands of entries)
// the extents' conversion is a small part of an fsync that flushes
// megabytes anyway, while the zeros double what is written, to the page
// cache and then to the disk (a 1000-entry batch load spent 8 % more CPU
// with them). So the committer keeps a moving average of its runs' sizes
// and writes no zeros while it is above zeroAheadMaxRun; they resume when
// small txs come back.
//
// Only the committer writes the log (records in writeGroup, zeros here),
// and it writes zeros only past its own end, so a zero never lands on a record.
// Zeros there are what the reserved blocks read as anyway: recovery,
// VerifyFiles and backups see the same bytes. A failed zero write turns
// the zeroing off (the commits' own writes report a failing disk).

const (
	zeroAheadChunk  = 4 << 20
	zeroAheadLow    = 1 << 20
	zeroAheadMaxRun = 256 << 10 // average run size above which no zeros are written
)

var zeroChunk [zeroAheadChunk]byte

// zeroAheadOn decides whether a store in dir on fsys writes zeros ahead:
// only on the OS file system, and there only where fallocate leaves blocks
// unwritten (reservesUnwritten). Tests set it to watch the writes on an
// in-memory file system.
var zeroAheadOn = func(fsys vfs.FS, dir string) bool { return fsys == vfs.OS && reservesUnwritten(dir) }

type zeroAhead struct {
	off    bool   // disabled (not vfs.OS, or a zero write failed)
	seg    uint32 // segment of upTo
	upTo   int64  // bytes of seg known written (records or zeros)
	avgRun int64  // moving average of the runs' sizes (weight 1/8)
}

// zeroAfter is called by the committer once a run of run bytes is written
// up to end in seg (flushRun, after handing the run to the syncer). Only
// the committer writes the log, so it needs no lock: the syncer's fsync
// runs meanwhile.
func (s *Store) zeroAfter(seg uint32, end, run int64) {
	z := &s.zero
	if z.off {
		return
	}
	if seg != z.seg {
		z.seg, z.upTo = seg, end
	} else {
		z.upTo = max(z.upTo, end)
	}
	z.avgRun += (run - z.avgRun) / 8
	if z.avgRun > zeroAheadMaxRun || z.upTo-end >= zeroAheadLow || z.upTo >= s.opts.FileSize {
		return
	}
	n := min(int64(zeroAheadChunk), s.opts.FileSize-z.upTo)
	f, err := s.log.file(seg)
	if err == nil {
		_, err = f.WriteAt(zeroChunk[:n], z.upTo)
	}
	if err != nil {
		z.off = true
		return
	}
	z.upTo += n
}
