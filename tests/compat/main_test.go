package compat

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Paths and keys prepared once by TestMain.
var (
	serverBin     string // our cmd/immudb
	immuclientBin string // official immuclient v1.11.1
	immuadminBin  string // official immuadmin v1.11.1
	cliBuildErr   error  // set when the official CLIs could not be built

	signingKeyFile string           // PEM private key for --signingKey
	signingPubFile string           // PEM public key for the client options
	signingPub     *ecdsa.PublicKey // the same public key, parsed
	wrongPub       *ecdsa.PublicKey // a valid key that did NOT sign anything
)

// vectorsDir is the repository's copy of the reference vectors.
const vectorsDir = "../../testdata/vectors"

// buildTimeout bounds each `go build`.
const buildTimeout = 4 * time.Minute

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "attestdb-compat-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	root, err := filepath.Abs("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		return 1
	}
	serverBin = filepath.Join(tmp, "immudb")
	if err := goBuild(root, serverBin, "./cmd/immudb"); err != nil {
		fmt.Fprintln(os.Stderr, "compat: building our server:", err)
		return 1
	}
	// The CLIs come from this module's immudb dependency; a failure here
	// only skips the CLI tests (reported by them).
	immuclientBin = filepath.Join(tmp, "immuclient")
	immuadminBin = filepath.Join(tmp, "immuadmin")
	if err := goBuild(".", immuclientBin, "github.com/codenotary/immudb/cmd/immuclient"); err != nil {
		cliBuildErr = err
	} else if err := goBuild(".", immuadminBin, "github.com/codenotary/immudb/cmd/immuadmin"); err != nil {
		cliBuildErr = err
	}

	if err := loadSigningKeys(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "compat: signing keys:", err)
		return 1
	}
	return m.Run()
}

// goBuild runs `go build -o out pkg` in dir.
func goBuild(dir, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	timer := time.AfterFunc(buildTimeout, func() {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
		}
	})
	defer timer.Stop()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// loadSigningKeys writes the test key pair of signed_state.json to files
// and parses the public half; it also makes an unrelated key for the
// negative signature test.
func loadSigningKeys(tmp string) error {
	raw, err := os.ReadFile(filepath.Join(vectorsDir, "signed_state.json"))
	if err != nil {
		return err
	}
	var v struct {
		PrivateKeyPem string `json:"privateKeyPem"`
		PublicKeyPem  string `json:"publicKeyPem"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	signingKeyFile = filepath.Join(tmp, "signing.key")
	signingPubFile = filepath.Join(tmp, "signing.pub")
	if err := os.WriteFile(signingKeyFile, []byte(v.PrivateKeyPem), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(signingPubFile, []byte(v.PublicKeyPem), 0o600); err != nil {
		return err
	}
	if signingPub, err = parsePub(v.PublicKeyPem); err != nil {
		return err
	}
	// The private key's curve is reused for an unrelated key pair.
	blk, _ := pem.Decode([]byte(v.PrivateKeyPem))
	if blk == nil {
		return fmt.Errorf("no PEM block in privateKeyPem")
	}
	priv, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		return err
	}
	other, err := ecdsa.GenerateKey(priv.Curve, randReader{})
	if err != nil {
		return err
	}
	wrongPub = &other.PublicKey
	return nil
}

func parsePub(p string) (*ecdsa.PublicKey, error) {
	blk, _ := pem.Decode([]byte(p))
	if blk == nil {
		return nil, fmt.Errorf("no PEM block in public key")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is %T, not ECDSA", k)
	}
	return pub, nil
}
