package codec

import (
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The wire check: a scan of encoded bytes, driven by a per-type table built
// once from the descriptor, that accepts only input on which UnmarshalVT and
// proto.Unmarshal are known to agree. It applies the standard decoder's rules
// that the generated code skips (varint overflow, field number range, group
// matching in unknown fields, UTF-8 in proto3 strings, nesting limit) and
// refuses, rather than interprets, anything unusual (a known field with an
// unexpected wire type): refused input is decoded by proto.Unmarshal, so
// refusing too much costs time, never correctness.

// maxDepth is proto.Unmarshal's default recursion limit.
const maxDepth = protowire.DefaultRecursionLimit

type fieldKind uint8

const (
	kindVarint fieldKind = iota + 1 // ints, bools, enums
	kindFixed32
	kindFixed64
	kindBytes   // bytes, and strings with no UTF-8 rule
	kindString  // a string whose UTF-8 the standard decoder checks
	kindMessage // a message or a map entry
	kindOther   // groups: always refused
)

type field struct {
	kind   fieldKind
	packed bool   // repeated scalar: the packed form is accepted too
	sub    *table // kindMessage
}

// table describes the fields of one message type, indexed by number.
type table struct {
	fields []field // fields[num]; kind 0 = unknown to this type
	// strings: a checked string field is reachable from this type, so
	// marshalled output must be scanned too.
	strings bool
	// mapMsgValue: a map entry with a message value. proto.Unmarshal merges
	// a value that appears twice in one entry, UnmarshalVT keeps the last:
	// such entries are refused.
	mapMsgValue bool
	// negZero: a singular float or double field without presence is
	// reachable. proto.Marshal writes -0.0 in it (only +0 is the default),
	// the generated code tests `!= 0` and drops it.
	negZero bool
}

var tables sync.Map // protoreflect.MessageDescriptor -> *table

// tableOf returns the table for md, building it (and those of the types it
// reaches) on first use.
func tableOf(md protoreflect.MessageDescriptor) *table {
	if t, ok := tables.Load(md); ok {
		return t.(*table)
	}
	built := map[protoreflect.MessageDescriptor]*table{}
	t := build(md, built)
	// Reachability of strings and floats through cycles: iterate to a
	// fixed point.
	for changed := true; changed; {
		changed = false
		for _, bt := range built {
			for _, f := range bt.fields {
				if f.kind != kindMessage {
					continue
				}
				if f.sub.strings && !bt.strings {
					bt.strings, changed = true, true
				}
				if f.sub.negZero && !bt.negZero {
					bt.negZero, changed = true, true
				}
			}
		}
	}
	for d, bt := range built {
		tables.LoadOrStore(d, bt)
	}
	got, _ := tables.Load(md)
	if got == nil {
		return t
	}
	return got.(*table)
}

func build(md protoreflect.MessageDescriptor, built map[protoreflect.MessageDescriptor]*table) *table {
	if t, ok := built[md]; ok {
		return t
	}
	if t, ok := tables.Load(md); ok {
		return t.(*table)
	}
	t := &table{}
	built[md] = t
	fds := md.Fields()
	maxNum := 0
	for i := 0; i < fds.Len(); i++ {
		maxNum = max(maxNum, int(fds.Get(i).Number()))
	}
	t.fields = make([]field, maxNum+1)
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		f := field{packed: fd.IsList()}
		switch fd.Kind() {
		case protoreflect.BoolKind, protoreflect.EnumKind,
			protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Uint32Kind,
			protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind:
			f.kind = kindVarint
		case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
			f.kind = kindFixed32
		case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
			f.kind = kindFixed64
		case protoreflect.BytesKind:
			f.kind = kindBytes
		case protoreflect.StringKind:
			f.kind = kindBytes
			if enforceUTF8(fd) {
				f.kind = kindString
				t.strings = true
			}
		case protoreflect.MessageKind:
			f.kind = kindMessage
			f.sub = build(fd.Message(), built)
		default:
			f.kind = kindOther
		}
		if (fd.Kind() == protoreflect.FloatKind || fd.Kind() == protoreflect.DoubleKind) && !fd.IsList() && !fd.HasPresence() {
			t.negZero = true
		}
		if f.kind == kindBytes || f.kind == kindString || f.kind == kindMessage {
			f.packed = false
		}
		t.fields[fd.Number()] = f
	}
	t.mapMsgValue = md.IsMapEntry() && len(t.fields) > 2 && t.fields[2].kind == kindMessage
	return t
}

// enforceUTF8 says whether proto.Unmarshal checks fd's UTF-8: proto3
// strings, or what the file's features say (the descriptor implementation
// answers that through an EnforceUTF8 method).
func enforceUTF8(fd protoreflect.FieldDescriptor) bool {
	if e, ok := fd.(interface{ EnforceUTF8() bool }); ok {
		return e.EnforceUTF8()
	}
	return fd.Syntax() == protoreflect.Proto3
}

// valid reports whether b, a message of t's type at nesting depth, passes
// the check.
func (t *table) valid(b []byte, depth int) bool {
	if depth > maxDepth {
		return false
	}
	values := 0 // map entries: occurrences of the value
	for len(b) > 0 {
		var (
			tag uint64
			n   int
		)
		if b[0] < 0x80 {
			tag, n = uint64(b[0]), 1
		} else if tag, n = protowire.ConsumeVarint(b); n < 0 {
			return false
		}
		b = b[n:]
		num := tag >> 3
		if num < uint64(protowire.MinValidNumber) || num > uint64(protowire.MaxValidNumber) {
			return false
		}
		typ := protowire.Type(tag & 7)
		var f field
		if num < uint64(len(t.fields)) {
			f = t.fields[num]
		}
		if f.kind == 0 {
			// Unknown field: kept as raw bytes by both decoders, except that
			// proto.Unmarshal re-encodes an overlong tag in its shortest form.
			if typ == protowire.EndGroupType || n != protowire.SizeVarint(tag) {
				return false
			}
			if n = protowire.ConsumeFieldValue(protowire.Number(num), typ, b); n < 0 {
				return false
			}
			b = b[n:]
			continue
		}
		if n = f.value(typ, b, depth); n < 0 {
			return false
		}
		if t.mapMsgValue && num == 2 {
			if values++; values > 1 {
				return false
			}
		}
		b = b[n:]
	}
	return true
}

// value checks one value of a known field and returns its length, or -1.
func (f field) value(typ protowire.Type, b []byte, depth int) int {
	switch typ {
	case protowire.VarintType:
		if f.kind != kindVarint {
			return -1
		}
		_, n := protowire.ConsumeVarint(b)
		return n
	case protowire.Fixed32Type:
		if f.kind != kindFixed32 {
			return -1
		}
		_, n := protowire.ConsumeFixed32(b)
		return n
	case protowire.Fixed64Type:
		if f.kind != kindFixed64 {
			return -1
		}
		_, n := protowire.ConsumeFixed64(b)
		return n
	case protowire.BytesType:
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return -1
		}
		switch {
		case f.kind == kindBytes:
		case f.kind == kindString:
			if !utf8.Valid(v) {
				return -1
			}
		case f.kind == kindMessage:
			if !f.sub.valid(v, depth+1) {
				return -1
			}
		case f.packed:
			if !packedValid(f.kind, v) {
				return -1
			}
		default:
			return -1
		}
		return n
	}
	return -1
}

// packedValid checks the payload of a packed repeated scalar.
func packedValid(kind fieldKind, v []byte) bool {
	switch kind {
	case kindVarint:
		for len(v) > 0 {
			_, n := protowire.ConsumeVarint(v)
			if n < 0 {
				return false
			}
			v = v[n:]
		}
		return true
	case kindFixed32:
		return len(v)%4 == 0
	case kindFixed64:
		return len(v)%8 == 0
	}
	return false
}
