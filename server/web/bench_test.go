package web

import (
	"net/http"
	"testing"
)

// BenchmarkRESTGet is one GET /api/db/get/{key} through the whole front:
// HTTP client, gateway, loopback gRPC, fake server and back.
func BenchmarkRESTGet(b *testing.B) {
	f := startFront(b, nil)
	bearer := []string{"Authorization", "Bearer " + fakeToken}
	if r := f.do(b, "POST", "/api/db/set", `{"KVs":[{"key":"`+b64("k")+`","value":"`+b64("v")+`"}]}`, bearer...); r.code != http.StatusOK {
		b.Fatalf("set: %d %s", r.code, r.body)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := f.do(b, "GET", "/api/db/get/"+b64("k"), "", bearer...); r.code != http.StatusOK {
			b.Fatalf("get: %d", r.code)
		}
	}
}
