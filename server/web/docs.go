package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/attestdb/attestdb/api/openapi"
)

//go:embed assets/index.html assets/docs.html assets/docs.js assets/swagger-ui
var assets embed.FS

// errNotObject: an OpenAPI document must be a JSON object.
var errNotObject = errors.New("not a JSON object")

var (
	indexPage = mustAsset("assets/index.html")
	docsPage  = mustAsset("assets/docs.html")
)

// mustAsset reads an embedded file; a missing one is a build mistake that
// every test catches, so failing at init is right.
func mustAsset(name string) []byte {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("web: embedded asset %s: %v", name, err))
	}
	return b
}

// newDocs serves /api/docs/ (prefix already stripped): the UI page, its
// assets and the two OpenAPI documents.
func newDocs() (http.Handler, error) {
	schema, err := withBasePath(openapi.Schema, "/api")
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, fmt.Errorf("web: assets: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", staticPage(docsPage))
	mux.Handle("GET /swagger.json", jsonDoc(schema))
	mux.Handle("GET /authorization.swagger.json", jsonDoc(openapi.Authorization))
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", cached(http.FileServerFS(sub))))
	return mux, nil
}

// withBasePath sets basePath in a Swagger 2.0 document that has none, so
// generated requests go to where the gateway is mounted.
func withBasePath(doc []byte, base string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("web: embedded OpenAPI document: %w", err)
	}
	if m == nil { // the document was JSON null
		return nil, fmt.Errorf("web: embedded OpenAPI document: %w", errNotObject)
	}
	if _, ok := m["basePath"]; ok {
		return doc, nil
	}
	b, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	m["basePath"] = b
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("web: OpenAPI document: %w", err)
	}
	return out.Bytes(), nil
}

func jsonDoc(b []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(b)
	})
}

func staticPage(b []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(b)
	})
}

// cached marks vendored assets cacheable; they change only with a release.
func cached(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}
