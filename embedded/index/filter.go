package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"os"
	"path/filepath"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2"
)

// keyFilter is an in-memory bloom filter over every user key in the index.
// Apply needs each key's previous revision; asking Pebble costs several
// microseconds (memtable skiplists and a bloom probe per level), so keys
// the filter has never seen — new keys, the common case — skip the lookup
// and get revision 1. A false positive only costs a Pebble lookup; a false
// negative would be a wrong revision, so the filter must hold every key
// (it is rebuilt by a scan when its saved copy does not match the data).
//
// It is a list of blocked bloom filters (one 64-byte block per key, 6
// bits), each sized for four times the keys of the previous one, so it
// grows without rehashing. A question for a new key costs a cache miss per
// large segment and each segment adds its false positives, so the growth
// factor trades memory (at most 4× the keys' bits) for fewer segments: 5
// instead of 8 at 10M keys, false positives 2.2% instead of 3.8%
// (BenchmarkFilterMiss). The first segment is sized for 1Mi keys (1.5 MiB,
// small beside the index's 64 MiB memtable) rather than 64Ki: two fewer
// segments at every size above it, so 3 at 10M keys, 139–175 instead of
// 192–253 ns per question for a new key and 1.1% instead of 2.2% false
// positives. Only the applier writes it; Apply holds applyMu.
type keyFilter struct {
	segs []*filterSeg
}

type filterSeg struct {
	words []uint64 // len is a multiple of 8 (blocks of 512 bits)
	cap   uint64   // keys it is sized for
	n     uint64   // keys added
}

const (
	filterBitsPerKey = 12
	filterProbes     = 6
	filterFirstCap   = 1 << 20
	filterGrowth     = 4
)

func keyHash(key []byte) uint64 { return xxhash.Sum64(key) }

func newFilterSeg(capKeys uint64) *filterSeg {
	return &filterSeg{words: make([]uint64, segWords(capKeys)), cap: capKeys}
}

// segWords is the size in words of a segment sized for capKeys keys.
func segWords(capKeys uint64) uint64 {
	return (capKeys*filterBitsPerKey + 511) / 512 * 8
}

// maxSegCap bounds a saved segment's capacity (far above any real index;
// it keeps segWords and the growth of the next segment from overflowing).
const maxSegCap = 1 << 40

// block and probes of h: the block is picked from the high bits, the bit
// positions from a second 32-bit hash stepped by double hashing.
func (s *filterSeg) block(h uint64) *[8]uint64 {
	nb := uint64(len(s.words) / 8)
	b, _ := bits.Mul64(h, nb)
	return (*[8]uint64)(s.words[b*8 : b*8+8])
}

// probes derives the bit-position hash from h (the block used the high bits).
func probes(h uint64) (a, d uint32) {
	m := h * 0x9E3779B97F4A7C15
	return uint32(m), uint32(m>>32) | 1
}

func (s *filterSeg) add(h uint64) {
	blk := s.block(h)
	a, d := probes(h)
	for i := 0; i < filterProbes; i++ {
		p := a & 511
		blk[p>>6&7] |= 1 << (p & 63)
		a += d
	}
	s.n++
}

func (s *filterSeg) has(h uint64) bool {
	blk := s.block(h)
	a, d := probes(h)
	// No early exit: the bits share one cache line, and branches on them
	// would be mispredicted half the time.
	all := uint64(1)
	for i := 0; i < filterProbes; i++ {
		p := a & 511
		all &= blk[p>>6&7] >> (p & 63)
		a += d
	}
	return all&1 != 0
}

func (f *keyFilter) add(h uint64) {
	if len(f.segs) == 0 || f.segs[len(f.segs)-1].n >= f.segs[len(f.segs)-1].cap {
		c := uint64(filterFirstCap)
		if len(f.segs) > 0 {
			c = f.segs[len(f.segs)-1].cap * filterGrowth
		}
		f.segs = append(f.segs, newFilterSeg(c))
	}
	f.segs[len(f.segs)-1].add(h)
}

// warm loads the first word of h's block in every segment and returns them
// folded together (the caller keeps the result so the loads are not
// dropped). Called for a run of keys before their questions, it issues the
// cache misses of the whole run back to back, and the CPU overlaps them; a
// question then finds its blocks cached. Asked one key at a time, each
// question's misses were mostly waited for in turn (BenchmarkFilterMiss
// against BenchmarkFilterMissWarm: 253–277 against 81–121 ns per key at
// 10M keys).
func (f *keyFilter) warm(h uint64) uint64 {
	var x uint64
	for _, s := range f.segs {
		x ^= s.block(h)[0]
	}
	return x
}

// filterWarmRun is how many keys' blocks are warmed before they are asked
// about: enough to keep the memory system busy, few enough that the first
// blocks are still cached when their questions come.
const filterWarmRun = 16

func (f *keyFilter) mayContain(h uint64) bool {
	for _, s := range f.segs {
		if s.has(h) {
			return true
		}
	}
	return false
}

// Saved filter file: written by Close after the final flush, read by Open.
//
//	"AIXF" | u32 version 1 | u64 watermark | u32 nsegs |
//	nsegs × (u64 cap | u64 n | u64 nwords | nwords × u64) | u32 crc32c(all before)
//
// little-endian. It is only used if its watermark equals the index's
// IndexedUpTo: the persisted Pebble state is always a prefix of the applied
// batches, so an equal watermark means the same keys.
const filterFileName = "attestdb-keys.filter"

var (
	filterMagic = []byte("AIXF")
	castagnoli  = crc32.MakeTable(crc32.Castagnoli)
)

func (f *keyFilter) marshal(watermark uint64) []byte {
	size := 4 + 4 + 8 + 4 + 4
	for _, s := range f.segs {
		size += 24 + 8*len(s.words)
	}
	b := make([]byte, 0, size)
	b = append(b, filterMagic...)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint64(b, watermark)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f.segs)))
	for _, s := range f.segs {
		b = binary.LittleEndian.AppendUint64(b, s.cap)
		b = binary.LittleEndian.AppendUint64(b, s.n)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(s.words)))
		for _, w := range s.words {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

var errBadFilter = errors.New("index: bad key filter file")

func unmarshalFilter(b []byte) (*keyFilter, uint64, error) {
	if len(b) < 4+4+8+4+4 || string(b[:4]) != string(filterMagic) {
		return nil, 0, errBadFilter
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, 0, fmt.Errorf("%w: checksum", errBadFilter)
	}
	if v := binary.LittleEndian.Uint32(body[4:]); v != 1 {
		return nil, 0, fmt.Errorf("%w: version %d", errBadFilter, v)
	}
	wm := binary.LittleEndian.Uint64(body[8:])
	nsegs := binary.LittleEndian.Uint32(body[16:])
	body = body[20:]
	if uint64(nsegs) > uint64(len(body))/24 {
		return nil, 0, fmt.Errorf("%w: %d segments", errBadFilter, nsegs)
	}
	f := &keyFilter{}
	for i := uint32(0); i < nsegs; i++ {
		if len(body) < 24 {
			return nil, 0, fmt.Errorf("%w: truncated", errBadFilter)
		}
		s := &filterSeg{cap: binary.LittleEndian.Uint64(body), n: binary.LittleEndian.Uint64(body[8:])}
		nw := binary.LittleEndian.Uint64(body[16:])
		body = body[24:]
		if nw == 0 || nw%8 != 0 || nw > uint64(len(body))/8 {
			return nil, 0, fmt.Errorf("%w: segment of %d words", errBadFilter, nw)
		}
		// A capacity that does not match the size (0 made the next
		// segment empty, and add panicked on it) means a file we did not
		// write: rebuild instead.
		if s.cap == 0 || s.cap > maxSegCap || nw != segWords(s.cap) {
			return nil, 0, fmt.Errorf("%w: segment of %d words for %d keys", errBadFilter, nw, s.cap)
		}
		s.words = make([]uint64, nw)
		for j := range s.words {
			s.words[j] = binary.LittleEndian.Uint64(body[8*j:])
		}
		body = body[8*nw:]
		f.segs = append(f.segs, s)
	}
	if len(body) != 0 {
		return nil, 0, fmt.Errorf("%w: %d trailing bytes", errBadFilter, len(body))
	}
	return f, wm, nil
}

// saveFilter writes the filter file atomically (temp file, fsync, rename).
func saveFilter(dir string, f *keyFilter, watermark uint64) error {
	path := filepath.Join(dir, filterFileName)
	tmp := path + ".tmp"
	fh, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, werr := fh.Write(f.marshal(watermark))
	serr := fh.Sync()
	cerr := fh.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// loadFilter returns the saved filter if it matches watermark, else nil.
func loadFilter(dir string, watermark uint64) *keyFilter {
	b, err := os.ReadFile(filepath.Join(dir, filterFileName))
	if err != nil {
		return nil
	}
	f, wm, err := unmarshalFilter(b)
	if err != nil || wm != watermark {
		return nil
	}
	return f
}

// buildFilter scans every user key of it (a snapshot taken by Open) into a
// new filter, then merges it with the keys Apply added meanwhile and marks
// the filter ready. On error or Close it gives up: the filter stays not
// ready and Apply keeps asking Pebble, which is slower but exact.
func (ix *Index) buildFilter(it *pebble.Iterator) {
	defer close(ix.buildDone)
	if testBuildGate != nil {
		<-testBuildGate
	}
	f, err := scanKeys(it, ix.buildStop)
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return
	}
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	// Apply keeps adding to the last segment: keep the live one last.
	ix.filter.segs = append(f.segs, ix.filter.segs...)
	ix.filterReady = true
}

// testBuildGate, when set by a test before Open, holds the rebuild until
// it is closed.
var testBuildGate chan struct{}

var errStopped = errors.New("index: key filter scan stopped")

func scanKeys(it *pebble.Iterator, stop <-chan struct{}) (*keyFilter, error) {
	f := &keyFilter{}
	var key []byte
	var err error
	n := 0
	for valid := it.SeekGE([]byte{nsVersion}); valid; valid = it.NextPrefix() {
		k := it.Key()
		if k[0] != nsVersion {
			break
		}
		if key, err = appendUserKey(key[:0], k[:splitKey(k)]); err != nil {
			return nil, err
		}
		f.add(keyHash(key))
		if n++; n%4096 == 0 {
			select {
			case <-stop:
				return nil, errStopped
			default:
			}
		}
	}
	return f, it.Error()
}
