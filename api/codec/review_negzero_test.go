package codec

import (
	"bytes"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

// proto.Marshal writes a proto3 float/double field holding -0.0 (only +0
// is the default); the generated MarshalVT/SizeVT test `!= 0` and drop it.
// A ZAdd with score -0.0 sent through our client arrives as +0.0, a
// different sorted-set key (EncodeZAddKey stores Float64bits(score)).
func TestMarshalNegativeZero(t *testing.T) {
	negz := math.Copysign(0, -1)
	for _, m := range []proto.Message{
		&schema.Score{Score: negz},
		&schema.ZAddRequest{Set: []byte("s"), Score: negz, Key: []byte("k")},
		&schema.ZEntries{Entries: []*schema.ZEntry{{Key: []byte("k"), Score: negz}}},
		&schema.ZScanRequest{SeekScore: negz, MinScore: &schema.Score{Score: negz}},
		&schema.ExecAllRequest{Operations: []*schema.Op{{Operation: &schema.Op_ZAdd{ZAdd: &schema.ZAddRequest{Score: negz}}}}},
		&schema.NullableFloat{Value: float32(negz)},
	} {
		std, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if ours := codecMarshal(t, m); !bytes.Equal(ours, std) {
			t.Errorf("%T %v:\n ours %x\n std  %x", m, m, ours, std)
		}
	}
}
