package e2e

import (
	"bytes"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

// Malformed or oversized requests get an error status; the server stays up
// and writes nothing.
func TestBadInputIsRefused(t *testing.T) {
	e := startServer(t, nil)
	ctx := e.session(t, "immudb", "immudb", "defaultdb")
	cases := []struct {
		name string
		call func() error
		code codes.Code
	}{
		{"empty key", func() error {
			_, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: nil, Value: []byte("v")}}})
			return err
		}, codes.InvalidArgument},
		{"no entries", func() error {
			_, err := e.cli.Set(ctx, &schema.SetRequest{})
			return err
		}, codes.Unknown},
		{"key too long", func() error {
			_, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv(string(bytes.Repeat([]byte("k"), 1024)), "v")}})
			return err
		}, codes.Unknown},
		{"message over 32 MiB", func() error {
			_, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: make([]byte, 33<<20)}}})
			return err
		}, codes.ResourceExhausted},
		{"limit over 2500", func() error {
			_, err := e.cli.Scan(ctx, &schema.ScanRequest{Limit: 2501})
			return err
		}, codes.Unknown},
		{"nil get request", func() error {
			_, err := e.cli.Get(ctx, &schema.KeyRequest{})
			return err
		}, codes.InvalidArgument},
		{"verifiable set without request", func() error {
			_, err := e.cli.VerifiableSet(ctx, &schema.VerifiableSetRequest{})
			return err
		}, codes.InvalidArgument},
		{"unknown tx", func() error {
			_, err := e.cli.VerifiableTxById(ctx, &schema.VerifiableTxRequest{Tx: 0})
			return err
		}, codes.InvalidArgument},
		{"bad database name", func() error {
			_, err := e.cli.UseDatabase(ctx, &schema.Database{DatabaseName: "../../etc"})
			return err
		}, codes.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("accepted")
			}
			if got := status.Code(err); got != c.code {
				t.Fatalf("code %v (%v), want %v", got, err, c.code)
			}
		})
	}
	st, err := e.cli.CurrentState(ctx, &emptypb.Empty{})
	if err != nil || st.TxId != 0 {
		t.Fatalf("after bad input: state %v, %v", st, err)
	}
}
