package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	"github.com/attestdb/attestdb/api/gateway"
)

// ErrNoConn is returned by NewHandler without a gRPC connection.
var ErrNoConn = errors.New("web: no gRPC connection for the gateway")

// maxBodyBytes caps a REST request body: the gRPC server takes messages of
// up to 32 MiB, and base64 JSON of that is about 43 MiB. A variable so
// tests can lower it.
var maxBodyBytes int64 = 64 << 20

// NewHandler builds the web front. conn reaches the server's gRPC service
// (see Dial); ctx bounds the gateway's registration only.
func NewHandler(ctx context.Context, conn grpc.ClientConnInterface) (http.Handler, error) {
	if conn == nil {
		return nil, ErrNoConn
	}
	// Keys in paths are base64: with the default unescaping a key whose
	// encoding holds "/" (sent as %2F) would split the path and miss its
	// route; this mode keeps %2F inside the segment and decodes it after
	// matching. URL-safe base64 works either way.
	gw := gateway.NewServeMux(runtime.WithUnescapingMode(runtime.UnescapingModeAllExceptReserved))
	if err := gateway.Register(ctx, gw, conn); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	api := limitBody(gw)

	docs, err := newDocs()
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	mux.Handle("/api/v2/", http.StripPrefix("/api/v2", api))
	mux.Handle("/api/docs/", http.StripPrefix("/api/docs", docs))
	mux.Handle("GET /{$}", staticPage(indexPage))
	return mux, nil
}

// limitBody caps request bodies; an oversized body fails the gateway's
// decoding with InvalidArgument instead of filling memory.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}
