package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// FormatVersion is the on-disk format written and understood by this
// package (docs/FORMAT.md). Open refuses any other.
const FormatVersion = 1

const (
	formatMagic   = "ATTESTDB"
	formatFileLen = 8 + 4 + 8 + 4 // magic, version, file size, crc32c
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// formatInfo is the content of the FORMAT file.
type formatInfo struct {
	Version  uint32
	FileSize int64 // segment size the store was created with
}

func encodeFormat(f formatInfo) []byte {
	b := make([]byte, 0, formatFileLen)
	b = append(b, formatMagic...)
	b = binary.BigEndian.AppendUint32(b, f.Version)
	b = binary.BigEndian.AppendUint64(b, uint64(f.FileSize))
	return binary.BigEndian.AppendUint32(b, crc(b))
}

// decodeFormat parses a FORMAT file. A wrong magic or checksum is
// ErrCorruptedData; a version other than FormatVersion ErrUnsupportedFormat.
func decodeFormat(b []byte) (formatInfo, error) {
	if len(b) != formatFileLen || string(b[:8]) != formatMagic {
		return formatInfo{}, fmt.Errorf("%w: FORMAT file is not an attestdb format file", ErrCorruptedData)
	}
	if crc(b[:formatFileLen-4]) != binary.BigEndian.Uint32(b[formatFileLen-4:]) {
		return formatInfo{}, fmt.Errorf("%w: FORMAT file checksum mismatch", ErrCorruptedData)
	}
	f := formatInfo{
		Version:  binary.BigEndian.Uint32(b[8:]),
		FileSize: int64(binary.BigEndian.Uint64(b[12:])),
	}
	if f.Version != FormatVersion {
		return formatInfo{}, fmt.Errorf("%w: format version %d (this build reads %d)", ErrUnsupportedFormat, f.Version, FormatVersion)
	}
	if f.FileSize <= 0 || f.FileSize > maxSegmentOffset {
		return formatInfo{}, fmt.Errorf("%w: FORMAT file size %d", ErrCorruptedData, f.FileSize)
	}
	return f, nil
}
