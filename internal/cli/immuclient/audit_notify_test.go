package immuclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestNotifierHidesURLPassword: credentials in --audit-notification-url
// reach the receiver but never the log lines or errors that name the URL.
func TestNotifierHidesURLPassword(t *testing.T) {
	var gotUser, gotPass string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser, gotPass, _ = r.BasicAuth()
		http.Error(w, "receiver is down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	url := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1) + "/hook"
	n := newNotifier(url, "u", "p")
	err := n.publish(context.Background(), &dbOutcome{db: "defaultdb", result: resultFailed}, time.Now())
	if err == nil {
		t.Fatal("a 500 answer was taken as delivered")
	}
	if gotUser != "alice" || gotPass != "s3cret" {
		t.Errorf("receiver got basic auth %q/%q", gotUser, gotPass)
	}
	for what, s := range map[string]string{"error": err.Error(), "logged URL": n.shown} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("%s shows the password: %s", what, s)
		}
		if !strings.Contains(s, "alice") || !strings.Contains(s, "/hook") {
			t.Errorf("%s does not name the URL: %s", what, s)
		}
	}
}
