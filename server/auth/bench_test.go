package auth

import "testing"

func BenchmarkAuthorize(b *testing.B) {
	u := &User{Username: "u", Active: true}
	u.setPermission("db1", PermissionReadWrite)
	c := Caller{User: u, Database: "db1"}
	m := ImmuServicePrefix + "VerifiableGet"
	for b.Loop() {
		if err := Authorize(m, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate measures one Login/OpenSession password check at
// the production cost (BcryptCost).
func BenchmarkAuthenticate(b *testing.B) {
	r, _, err := OpenUsers(NewMemStore(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := r.Authenticate("immudb", "immudb"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenVerify(b *testing.B) {
	tk := NewTokens(TokenOptions{})
	tok, _, _ := tk.Issue("u", "db")
	for b.Loop() {
		if _, err := tk.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
