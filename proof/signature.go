package proof

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"fmt"
)

// StatePayload is the signed form of a state (HASHING.md §10):
// u32(len(db)) ‖ db ‖ u64(txID) ‖ txHash in a 32-byte slot (zero-padded if
// shorter, cut if longer).
func StatePayload(db string, txID uint64, txHash []byte) []byte {
	b := make([]byte, 0, 4+len(db)+8+HashSize)
	b = binary.BigEndian.AppendUint32(b, uint32(len(db)))
	b = append(b, db...)
	b = binary.BigEndian.AppendUint64(b, txID)
	var slot Hash
	copy(slot[:], txHash)
	return append(b, slot[:]...)
}

// SignState signs the state with k (ECDSA P-256 over SHA-256 of the
// payload). It returns the ASN.1 DER signature and the 65-byte uncompressed
// public key, the two fields of the proto Signature.
func SignState(k *ecdsa.PrivateKey, db string, txID uint64, txHash []byte) (sig, pub []byte, err error) {
	if k == nil || k.Curve != elliptic.P256() {
		return nil, nil, invalid("signing key must be ECDSA P-256")
	}
	digest := sha256.Sum256(StatePayload(db, txID, txHash))
	sig, err = ecdsa.SignASN1(rand.Reader, k, digest[:])
	if err != nil {
		return nil, nil, fmt.Errorf("proof: sign state: %w", err)
	}
	pub, err = k.PublicKey.Bytes()
	if err != nil {
		return nil, nil, fmt.Errorf("proof: sign state: %w", err)
	}
	return sig, pub, nil
}

// VerifyStateSignature checks a state signature with the configured key
// (the client never trusts the key sent with the signature).
func VerifyStateSignature(pub *ecdsa.PublicKey, db string, txID uint64, txHash, sig []byte) error {
	if pub == nil || pub.Curve != elliptic.P256() {
		return invalid("public key must be ECDSA P-256")
	}
	if len(sig) == 0 {
		return failCheck("state signature: no signature provided")
	}
	digest := sha256.Sum256(StatePayload(db, txID, txHash))
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return failCheck("state signature: does not match the state")
	}
	return nil
}

// ParseSigningKeyPEM reads a server signing key: a PEM "EC PRIVATE KEY"
// (SEC 1) on P-256. PKCS#8 is refused, like the reference server does.
func ParseSigningKeyPEM(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, malformed("signing key: no PEM block")
	}
	if block.Type != "EC PRIVATE KEY" {
		return nil, malformed("signing key: PEM block %q, want \"EC PRIVATE KEY\"", block.Type)
	}
	k, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, malformed("signing key: %v", err)
	}
	if k.Curve != elliptic.P256() {
		return nil, invalid("signing key: curve %s, want P-256", k.Curve.Params().Name)
	}
	return k, nil
}

// ParsePublicKeyPEM reads a PEM "PUBLIC KEY" (PKIX) holding a P-256 key.
func ParsePublicKeyPEM(b []byte) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, malformed("public key: no PEM block")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, malformed("public key: PEM block %q, want \"PUBLIC KEY\"", block.Type)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, malformed("public key: %v", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, invalid("public key: not an ECDSA P-256 key")
	}
	return ek, nil
}

// ParsePublicKeyBytes reads a 65-byte uncompressed P-256 point (the
// Signature.publicKey field).
func ParsePublicKeyBytes(b []byte) (*ecdsa.PublicKey, error) {
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), b)
	if err != nil {
		return nil, malformed("public key point: %v", err)
	}
	return k, nil
}
