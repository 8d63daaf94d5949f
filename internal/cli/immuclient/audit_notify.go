package immuclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"time"

	"github.com/attestdb/attestdb/api/schema"
)

// notifyTimeout bounds one notification request (immudb's value).
const notifyTimeout = 5 * time.Second

// notifier publishes audit results to --audit-notification-url as immudb's
// auditor does: a JSON POST per compared state, with the notification
// credentials in the body.
type notifier struct {
	url, username, password string
	shown                   string // url for logs and errors, without its password
	hc                      *http.Client
}

// notificationState and notificationRequest are immudb's payload layout.
type notificationSignature struct {
	Signature string `json:"signature"`
	PublicKey string `json:"public_key"`
}

type notificationState struct {
	Tx        uint64                `json:"tx"`
	Hash      string                `json:"hash"`
	Signature notificationSignature `json:"signature"`
}

type notificationRequest struct {
	Username      string             `json:"username"`
	Password      string             `json:"password"`
	DB            string             `json:"db"`
	RunAt         time.Time          `json:"run_at"`
	Tampered      bool               `json:"tampered"`
	PreviousState *notificationState `json:"previous_state"`
	CurrentState  *notificationState `json:"current_state"`
}

func newNotifier(url, username, password string) *notifier {
	if url == "" {
		return nil
	}
	shown := "(unparsable URL)"
	if u, err := neturl.Parse(url); err == nil {
		shown = u.Redacted()
	}
	return &notifier{url: url, username: username, password: password, shown: shown, hc: &http.Client{Timeout: notifyTimeout}}
}

// wants says whether o is published: every check that compared the server
// against a trusted state, and every failed check.
func (n *notifier) wants(o *dbOutcome) bool {
	return n != nil && (o.result == resultFailed || (o.result == resultOK && o.prevHash != nil))
}

func notifState(tx uint64, hash []byte, sig *schema.Signature) *notificationState {
	if hash == nil {
		return nil
	}
	return &notificationState{
		Tx:   tx,
		Hash: base64.StdEncoding.EncodeToString(hash),
		Signature: notificationSignature{
			Signature: base64.StdEncoding.EncodeToString(sig.GetSignature()),
			PublicKey: base64.StdEncoding.EncodeToString(sig.GetPublicKey()),
		},
	}
}

// publish sends one result; any answer but 200, 201, 202 or 204 is an error.
func (n *notifier) publish(ctx context.Context, o *dbOutcome, at time.Time) error {
	body, err := json.Marshal(notificationRequest{
		Username:      n.username,
		Password:      n.password,
		DB:            o.db,
		RunAt:         at,
		Tampered:      o.result == resultFailed,
		PreviousState: notifState(o.prevTx, o.prevHash, o.prevSig),
		CurrentState:  notifState(o.currTx, o.currHash, o.currSig),
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return fmt.Errorf("POST %s: %s: %s", n.shown, resp.Status, bytes.TrimSpace(msg))
}
