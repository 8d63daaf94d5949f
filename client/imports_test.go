package client

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsOnlyAPIAndProof keeps the SDK independent of the server: of
// this module, the client may depend only on api/... and proof.
func TestImportsOnlyAPIAndProof(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/attestdb/attestdb"
	allowed := []string{mod + "/client", mod + "/proof", mod + "/api/"}
	seen := 0
	for _, p := range strings.Fields(string(out)) {
		if p != mod && !strings.HasPrefix(p, mod+"/") {
			continue
		}
		seen++
		ok := false
		for _, a := range allowed {
			if p == strings.TrimSuffix(a, "/") || strings.HasPrefix(p, a) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("client depends on %s; only api/... and proof are allowed", p)
		}
	}
	if seen < 3 { // client, proof, api/schema at least: the listing worked
		t.Fatalf("go list saw only %d packages of the module", seen)
	}
}
