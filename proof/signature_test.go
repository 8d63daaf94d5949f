package proof

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
)

func TestSignedStateVectors(t *testing.T) {
	var f struct {
		PrivateKeyPem         string   `json:"privateKeyPem"`
		PublicKeyPem          string   `json:"publicKeyPem"`
		PublicKeyUncompressed hexBytes `json:"publicKeyUncompressed"`
		Examples              []struct {
			State               jsonState `json:"state"`
			SignedPayload       hexBytes  `json:"signedPayload"`
			SignedPayloadSha256 hexHash   `json:"signedPayloadSha256"`
			Signature           struct {
				Signature hexBytes `json:"signature"`
				PublicKey hexBytes `json:"publicKey"`
			} `json:"signature"`
			ExpectedVerified              bool      `json:"expected_verified"`
			TamperedState                 jsonState `json:"tamperedState"`
			TamperedStateExpectedVerified bool      `json:"tamperedState_expected_verified"`
		} `json:"examples"`
	}
	loadVectors(t, "signed_state.json", &f)
	priv := must(ParseSigningKeyPEM([]byte(f.PrivateKeyPem)))
	pub := must(ParsePublicKeyPEM([]byte(f.PublicKeyPem)))
	if !priv.PublicKey.Equal(pub) {
		t.Fatal("private and public key differ")
	}
	if pb := must(pub.Bytes()); !bytes.Equal(pb, f.PublicKeyUncompressed) {
		t.Fatal("uncompressed point")
	}
	if len(f.Examples) != 3 {
		t.Fatalf("%d examples", len(f.Examples))
	}
	for _, e := range f.Examples {
		st := e.State
		payload := StatePayload(st.DB, st.TxID, st.TxHash)
		if !bytes.Equal(payload, e.SignedPayload) || Sum(payload) != Hash(e.SignedPayloadSha256) {
			t.Fatalf("%s/%d: payload %x", st.DB, st.TxID, payload)
		}
		if !bytes.Equal(e.Signature.PublicKey, f.PublicKeyUncompressed) {
			t.Fatal("signature public key")
		}
		err := VerifyStateSignature(pub, st.DB, st.TxID, st.TxHash, e.Signature.Signature)
		if (err == nil) != e.ExpectedVerified {
			t.Fatalf("%s/%d: %v", st.DB, st.TxID, err)
		}
		ts := e.TamperedState
		err = VerifyStateSignature(pub, ts.DB, ts.TxID, ts.TxHash, e.Signature.Signature)
		if e.TamperedStateExpectedVerified || !errors.Is(err, ErrVerificationFailed) {
			t.Fatalf("tampered state: %v", err)
		}
		// Our own signatures verify (and are randomized, so not compared).
		sig, pk, err := SignState(priv, st.DB, st.TxID, st.TxHash)
		if err != nil || !bytes.Equal(pk, f.PublicKeyUncompressed) {
			t.Fatalf("SignState: %v", err)
		}
		if err := VerifyStateSignature(pub, st.DB, st.TxID, st.TxHash, sig); err != nil {
			t.Fatalf("own signature: %v", err)
		}
		if VerifyStateSignature(pub, st.DB+"x", st.TxID, st.TxHash, sig) == nil {
			t.Fatal("signature accepted for another db")
		}
		bad := append([]byte{}, sig...)
		bad[len(bad)-1] ^= 1
		if VerifyStateSignature(pub, st.DB, st.TxID, st.TxHash, bad) == nil {
			t.Fatal("altered signature accepted")
		}
		if VerifyStateSignature(pub, st.DB, st.TxID, st.TxHash, nil) == nil {
			t.Fatal("missing signature accepted")
		}
	}
}

func TestStatePayloadHashSlot(t *testing.T) {
	short := StatePayload("d", 1, []byte{1, 2})
	long := StatePayload("d", 1, bytes.Repeat([]byte{3}, 40))
	if len(short) != 4+1+8+32 || len(long) != len(short) {
		t.Fatal("hash slot is not 32 bytes")
	}
	if !bytes.Equal(short[13:], append([]byte{1, 2}, make([]byte, 30)...)) || !bytes.Equal(long[13:], bytes.Repeat([]byte{3}, 32)) {
		t.Fatal("hash slot padding/cut")
	}
}

func TestKeyParsingErrors(t *testing.T) {
	p256 := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	p384 := must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	pk8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(p256))})
	sec384 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: must(x509.MarshalECPrivateKey(p384))})
	pub384 := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&p384.PublicKey))})
	garbage := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	for name, in := range map[string][]byte{"pkcs8": pk8, "p384": sec384, "garbage": garbage, "empty": nil, "public": pub384} {
		if _, err := ParseSigningKeyPEM(in); err == nil {
			t.Errorf("signing key %s accepted", name)
		}
	}
	for name, in := range map[string][]byte{"p384": pub384, "private": sec384, "empty": nil} {
		if _, err := ParsePublicKeyPEM(in); err == nil {
			t.Errorf("public key %s accepted", name)
		}
	}
	if _, _, err := SignState(p384, "d", 1, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Error("P-384 signing accepted")
	}
	if err := VerifyStateSignature(&p384.PublicKey, "d", 1, nil, []byte{1}); !errors.Is(err, ErrInvalidArgument) {
		t.Error("P-384 verification accepted")
	}
	if _, err := ParsePublicKeyBytes([]byte{4, 1, 2}); !errors.Is(err, ErrMalformed) {
		t.Error("bad point accepted")
	}
}
