package web

import (
	"encoding/json"
	"testing"

	"github.com/attestdb/attestdb/api/openapi"
)

// FuzzWithBasePath: any input either fails cleanly or yields a JSON object
// whose basePath is the one it had, or ours when it had none. Seeded with
// the small embedded document; the 100 kB one is checked by
// TestDocsAndPages.
func FuzzWithBasePath(f *testing.F) {
	f.Add(openapi.Authorization)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"basePath":1}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, err := withBasePath(doc, "/api")
		if err != nil {
			return
		}
		var in, got map[string]json.RawMessage
		if json.Unmarshal(doc, &in) != nil || in == nil {
			t.Fatalf("accepted input that is not a JSON object: %q", doc)
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("output not JSON: %v", err)
		}
		if _, had := in["basePath"]; !had && string(got["basePath"]) != `"/api"` {
			t.Fatalf("basePath = %s", got["basePath"])
		}
		if len(got) != len(in)+boolInt(in["basePath"] == nil) {
			t.Fatalf("fields %d -> %d", len(in), len(got))
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
