package store

// LogSize is the logical size of the log: the bytes up to the end of the
// last committed record. Segments are preallocated, so their file sizes
// overstate a young log (an empty database would show a whole segment);
// this counts what was written. A segment before the last one counts whole:
// it was left only when the next record did not fit. It reads one tx
// index entry and stats the earlier segments, so it is cheap to call often.
func (s *Store) LogSize() (uint64, error) {
	id, _ := s.LastCommitted()
	if id == 0 {
		return 0, nil
	}
	e, err := s.entryOf(id)
	if err != nil {
		return 0, err
	}
	seg, off := splitPos(e.Pos)
	var n uint64
	for i := uint32(0); i < seg; i++ {
		f, err := s.log.file(i)
		if err != nil {
			return 0, err
		}
		sz, err := f.Size()
		if err != nil {
			return 0, err
		}
		n += uint64(sz)
	}
	return n + uint64(off) + uint64(e.Len), nil
}
