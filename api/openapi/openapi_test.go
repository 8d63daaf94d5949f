package openapi

import (
	"encoding/json"
	"testing"
)

func TestDocumentsListRoutes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		doc   []byte
		paths []string
	}{
		{"schema", Schema, []string{"/health", "/db/verifiable/get", "/db/get/{key}", "/db/state", "/db/sqlquery"}},
		{"authorization", Authorization, []string{"/authorization/session/open", "/authorization/session/close"}},
	} {
		var doc struct {
			Swagger string                    `json:"swagger"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(tc.doc, &doc); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if doc.Swagger != "2.0" {
			t.Errorf("%s: swagger %q", tc.name, doc.Swagger)
		}
		for _, p := range tc.paths {
			if _, ok := doc.Paths[p]; !ok {
				t.Errorf("%s: path %s missing", tc.name, p)
			}
		}
	}
}
