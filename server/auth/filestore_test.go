package auth

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestFileStorePersistsAcrossOpens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	store := NewFileStore(dir)
	r, _ := openTest(t, store, Options{AdminPassword: "First1!pw"})
	admin := sysadmin(t, r)
	if err := r.Create(admin, "alice", strongPW, PermissionReadWrite, "db1"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetActive(admin, "alice", false); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(store.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("users file is readable by others: %v", fi.Mode())
	}

	r2, res := openTest(t, NewFileStore(dir), Options{})
	if res.Created {
		t.Fatal("superuser re-created on restart")
	}
	if _, _, err := r2.Authenticate("immudb", "First1!pw"); err != nil {
		t.Fatal(err)
	}
	alice, ok := r2.Get("alice")
	if !ok || alice.Active || alice.PermissionOn("db1") != PermissionReadWrite || alice.CreatedBy != "immudb" {
		t.Fatalf("alice after restart: %+v", alice)
	}
}

func TestFileStoreRejectsCorruptFiles(t *testing.T) {
	h, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	cases := map[string]string{
		"not json":      `{`,
		"trailing":      `{"version":1,"users":[]} {}`,
		"version":       `{"version":2,"users":[]}`,
		"unknown field": `{"version":1,"users":[],"extra":1}`,
		"bad name":      `{"version":1,"users":[{"username":"a b","passwordHash":"` + string(h) + `","active":true}]}`,
		"no hash":       `{"version":1,"users":[{"username":"ab","active":true}]}`,
		"bad perm":      `{"version":1,"users":[{"username":"ab","passwordHash":"x","permissions":[{"database":"db","permission":3}]}]}`,
		"dup perm":      `{"version":1,"users":[{"username":"ab","passwordHash":"x","permissions":[{"database":"db","permission":1},{"database":"db","permission":2}]}]}`,
		"dup user":      `{"version":1,"users":[{"username":"ab","passwordHash":"x"},{"username":"ab","passwordHash":"x"}]}`,
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, UsersFileName), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := NewFileStore(dir).LoadUsers()
			if !errors.Is(err, ErrCorruptedUser) {
				t.Fatalf("err = %v", err)
			}
			if _, _, err := OpenUsers(NewFileStore(dir), Options{BcryptCost: bcrypt.MinCost}); err == nil {
				t.Fatal("OpenUsers accepted a corrupt file")
			}
			after, _ := os.ReadFile(filepath.Join(dir, UsersFileName))
			if string(after) != content {
				t.Fatal("corrupt file was rewritten")
			}
		})
	}
}

func FuzzDecodeUsersFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"users":[{"username":"immudb","passwordHash":"$2a$04$abc","active":true,"sysadmin":true}]}`))
	f.Add([]byte(`{"version":1,"users":[{"username":"ab","passwordHash":"x","permissions":[{"database":"db","permission":254}]}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		users, err := decodeUsersFile(b)
		if err != nil {
			if !errors.Is(err, ErrCorruptedUser) {
				t.Fatalf("error %v does not wrap ErrCorruptedUser", err)
			}
			return
		}
		for _, u := range users {
			if ValidateUsername(u.Username) != nil || u.PasswordHash == "" {
				t.Fatalf("accepted invalid user %+v", u)
			}
			for _, p := range u.Permissions {
				if ValidateGrant(p.Permission) != nil {
					t.Fatalf("accepted bad permission %+v", p)
				}
			}
		}
	})
}
