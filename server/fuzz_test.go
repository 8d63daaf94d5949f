package server

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc/metadata"

	"github.com/attestdb/attestdb/server/auth"
)

// FuzzResolveCredentials feeds arbitrary sessionid and authorization
// metadata to caller resolution and authorization: they must answer with a
// caller or an error, never panic, and never grant a data call to a caller
// without credentials.
func FuzzResolveCredentials(f *testing.F) {
	f.Add("", "Bearer ")
	f.Add("1kneeMoerNIOxtN1Rz29Qn3AU3cuSMhE1dT0dgQHr_4=", "Bearer ")
	f.Add("", "Bearer v2.public.eyJkYXRhYmFzZSI6Ii0xIn0")
	f.Add("", "bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("\x00", "Bearer\t\n")
	opts := DefaultOptions(f.TempDir())
	opts.BcryptCost = bcrypt.MinCost
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := newServer(opts, newFakeDBs(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sid, authz string) {
		md := metadata.MD{}
		if sid != "" {
			md.Set(mdSessionID, sid)
		}
		md.Set(mdAuthorization, authz)
		ctx := metadata.NewIncomingContext(context.Background(), md)
		c, err := s.resolve(ctx, md.Get(mdSessionID))
		if err != nil {
			return
		}
		if c.user != nil {
			t.Fatalf("random credentials resolved to user %s", c.user.Username)
		}
		if auth.Authorize(auth.ImmuServicePrefix+"Get", auth.Caller{User: c.user, Database: c.database}) == nil {
			t.Fatal("data call authorized without credentials")
		}
	})
}
