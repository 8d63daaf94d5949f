package immuclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/proof"
)

// ErrAuditProblems is returned by a bounded run (--audit-runs) in which a
// check failed or could not be made.
var ErrAuditProblems = errors.New("audit found problems")

// auditCallTimeout bounds the login, the database listing and each
// database check: a server that accepts a call and never answers must
// show up as an error in this round, not stop the auditor (a variable so
// tests can shorten it).
var auditCallTimeout = time.Minute

// withTimeout is ctx bounded by auditCallTimeout; a call that runs out of
// it reports how long it waited.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, auditCallTimeout,
		fmt.Errorf("the server did not answer within %s", auditCallTimeout))
}

// timeoutCause replaces err by a DeadlineExceeded error that says why
// when ctx ran out of time (gRPC itself only says "context deadline
// exceeded").
func timeoutCause(ctx context.Context, err error) error {
	if err == nil {
		return err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, context.Cause(ctx).Error())
	}
	// gRPC runs its own timer from the same deadline and can fail the call
	// a moment before ctx reports it: the same timeout, said the same way.
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < time.Second &&
		(status.Code(err) == codes.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded)) {
		return status.Error(codes.DeadlineExceeded, fmt.Sprintf("the server did not answer within %s", auditCallTimeout))
	}
	return err
}

// auditResult is the outcome of one database check, ordered from best to
// worst.
type auditResult int

const (
	resultOK      auditResult = iota // the server's state extends the trusted one
	resultSkipped                    // nothing to check (empty database, never seen)
	resultError                      // the check could not be made (server down, login, ...)
	resultFailed                     // the proof does not hold: tampering or rollback
)

// serverRank orders results for the per-server gauges: a database with
// nothing to check yet (empty) does not hide that the others were proven,
// so "not checked" is reported only when no database could be checked.
func (r auditResult) serverRank() int {
	if r == resultSkipped {
		return -1
	}
	return int(r)
}

func (r auditResult) String() string {
	return [...]string{"ok", "skipped", "error", "failed"}[r]
}

func (r auditResult) metric() float64 {
	return [...]float64{metricOK, metricNotChecked, metricError, metricTampered}[r]
}

// dbOutcome is what one check found. prevHash/currHash are nil when the
// state is unknown.
type dbOutcome struct {
	db                 string
	result             auditResult
	prevTx, currTx     uint64
	prevHash, currHash []byte
	prevSig, currSig   *schema.Signature
	err                error
}

// auditor checks the databases of one server with one client, whose state
// store is the roots directory.
type auditor struct {
	cfg     auditConfig
	cl      *client.Client
	addr    string // "host:port", the server_address label and identity key
	log     *slog.Logger
	metrics *auditMetrics
	// embeddedKeys: --audit-signature validate without a configured key
	// checks signatures with the key the server sends.
	embeddedKeys bool
	warned       bool // the embedded-key warning was logged
	notify       *notifier
}

// runAudit is audit-mode in the foreground: it audits every cfg.Interval
// until ctx ends (SIGINT/SIGTERM) or cfg.Runs rounds are done.
func (a *app) runAudit(ctx context.Context, cfg auditConfig) error {
	log := slog.New(slog.NewTextHandler(a.errOut, nil))
	opts := client.DefaultOptions().
		WithAddress(a.cfg.Address).
		WithPort(a.cfg.Port).
		WithDir(cfg.RootsDir).
		WithMaxRecvMsgSize(a.cfg.MaxRecvMsgSize).
		WithKeepAliveInterval(0)
	if a.cfg.MTLS {
		opts = opts.WithMTLs(true).WithMTLsOptions(client.MTLSOptions{
			ServerName:  a.cfg.ServerName,
			Certificate: a.cfg.Certificate,
			Pkey:        a.cfg.Pkey,
			ClientCAs:   a.cfg.ClientCAs,
		})
	}
	embedded := false
	switch {
	case cfg.Signature == "ignore" && a.cfg.ServerPubKey != "":
		log.Warn("--audit-signature ignore: the server signing public key is not used")
	case cfg.Signature == "validate" && a.cfg.ServerPubKey != "":
		k, err := client.LoadServerSigningPubKey(a.cfg.ServerPubKey)
		if err != nil {
			return err
		}
		opts = opts.WithServerSigningPubKey(k)
	case cfg.Signature == "validate":
		embedded = true
	}
	cl, err := client.New(opts)
	if err != nil {
		return err
	}
	defer cl.Close()

	au := &auditor{
		cfg:          cfg,
		cl:           cl,
		addr:         a.cfg.Address + ":" + strconv.Itoa(a.cfg.Port),
		log:          log,
		metrics:      newAuditMetrics(),
		embeddedKeys: embedded,
		notify:       newNotifier(cfg.NotificationURL, cfg.NotificationUsername, cfg.NotificationPassword),
	}
	// Rejected credentials are a configuration error: stop at once. A server
	// that cannot be reached yet is what the auditor watches for: go on.
	lctx, cancel := withTimeout(ctx)
	err = timeoutCause(lctx, au.login(lctx))
	cancel()
	if err != nil {
		if !isUnreachable(err) {
			return fmt.Errorf("audit-mode: login as %s failed: %s", cfg.Username, statusMessage(err))
		}
		log.Error("server unreachable, the auditor will retry", "server_address", au.addr, "error", errorText(err))
	}
	if cfg.MonitoringAddr != "" {
		ms, err := startMonitoring(cfg.MonitoringAddr, au.metrics, func(ctx context.Context) error {
			_, err := cl.Health(ctx)
			return err
		}, Version)
		if err != nil {
			return err
		}
		defer ms.close()
		log.Info("auditor monitoring HTTP server listening", "address", ms.Addr())
	}
	log.Info("starting auditor", "server_address", au.addr, "interval", cfg.Interval.String(),
		"roots_filepath", cfg.RootsDir, "signature", cfg.Signature)

	problems := 0
	run := 0
	for {
		run++
		if !au.round(ctx, run) {
			problems++
		}
		if cfg.Runs > 0 && run >= cfg.Runs {
			break
		}
		t := time.NewTimer(cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	if cl.IsConnected() {
		lctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = cl.Logout(lctx)
		cancel()
	}
	log.Info("auditor stopped", "rounds", run, "rounds_with_problems", problems)
	if cfg.Runs > 0 && problems > 0 {
		return fmt.Errorf("%w: %d of %d rounds had a failed or impossible check (see the log above)", ErrAuditProblems, problems, run)
	}
	return nil
}

func (au *auditor) login(ctx context.Context) error {
	_, err := au.cl.Login(ctx, []byte(au.cfg.Username), []byte(au.cfg.Password))
	return err
}

// isUnreachable tells a server that did not answer from one that refused.
func isUnreachable(err error) bool {
	c := client.StatusCode(err)
	return c == codes.Unavailable || c == codes.DeadlineExceeded
}

// serverID is the server_id label: the server UUID, "unknown" before it
// was ever learnt (immudb's value).
func (au *auditor) serverID() string {
	if id := au.cl.ServerUUID(); id != "" {
		return id
	}
	return "unknown"
}

// withLogin runs f, and once more after logging in again when the server
// no longer knows the token (expired, or the server restarted).
func (au *auditor) withLogin(ctx context.Context, f func() error) error {
	if !au.cl.IsConnected() {
		if err := au.login(ctx); err != nil {
			return err
		}
		return f()
	}
	err := f()
	if !needsLogin(err) {
		return err
	}
	au.cl.SetToken("", "")
	if lerr := au.login(ctx); lerr != nil {
		return lerr
	}
	return f()
}

// round audits every selected database once; it reports whether all
// checks passed (skipped ones count as passed).
func (au *auditor) round(ctx context.Context, run int) bool {
	start := time.Now()
	au.log.Info("audit started", "run", run)
	var names []string
	lctx, cancel := withTimeout(ctx)
	err := au.withLogin(lctx, func() error {
		var err error
		names, err = au.databases(lctx)
		return err
	})
	err = timeoutCause(lctx, err)
	cancel()
	if ctx.Err() != nil {
		return true
	}
	if err != nil {
		au.log.Error("audit aborted: cannot list the databases", "run", run, "server_address", au.addr, "error", errorText(err))
		o := &dbOutcome{result: resultError, err: err}
		if errors.Is(err, client.ErrServerIdentityChanged) {
			o.result = resultFailed
		}
		au.metrics.recordRun(au.serverID(), au.addr, o, start)
		return false
	}
	if len(names) == 0 {
		au.log.Error("audit aborted: no database to audit", "run", run, "audit_databases", strings.Join(au.cfg.Databases, ","))
		au.metrics.recordRun(au.serverID(), au.addr, &dbOutcome{result: resultError}, start)
		return false
	}
	var worst *dbOutcome
	ok := true
	for _, db := range names {
		cctx, cancel := withTimeout(ctx)
		o := au.checkDB(cctx, db)
		o.err = timeoutCause(cctx, o.err)
		cancel()
		if ctx.Err() != nil {
			return true
		}
		au.logOutcome(run, o)
		au.metrics.recordCheck(au.serverID(), au.addr, o)
		if au.notify.wants(o) {
			// A notification that cannot be delivered is logged; the audit
			// result itself stands.
			if err := au.notify.publish(ctx, o, time.Now()); err != nil {
				au.log.Error("audit notification not published", "run", run, "db", o.db, "error", err.Error())
			} else {
				au.log.Info("audit notification published", "run", run, "db", o.db, "url", au.notify.shown)
			}
		}
		if worst == nil || o.result.serverRank() >= worst.result.serverRank() {
			worst = o
		}
		if o.result == resultFailed || o.result == resultError {
			ok = false
		}
	}
	au.metrics.recordRun(au.serverID(), au.addr, worst, start)
	au.log.Info("audit finished", "run", run, "databases", len(names), "duration", time.Since(start).Round(time.Millisecond).String())
	return ok
}

// databases lists the databases the user can see, filtered by the
// --audit-databases prefixes.
func (au *auditor) databases(ctx context.Context) ([]string, error) {
	resp, err := au.cl.DatabaseListV2(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range resp.GetDatabases() {
		name := d.GetName()
		if len(au.cfg.Databases) == 0 || hasAnyPrefix(name, au.cfg.Databases) {
			out = append(out, name)
		}
	}
	return out, nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// checkDB proves that the server's current state of db extends the
// trusted one, and moves the trusted state forward when it does.
func (au *auditor) checkDB(ctx context.Context, db string) *dbOutcome {
	o := &dbOutcome{db: db}
	fail := func(r auditResult, err error) *dbOutcome {
		o.result, o.err = r, err
		return o
	}
	var cur *schema.ImmutableState
	err := au.withLogin(ctx, func() error {
		if _, err := au.cl.UseDatabase(ctx, db); err != nil {
			return err
		}
		var err error
		cur, err = au.cl.CurrentState(ctx)
		return err
	})
	if err != nil {
		return fail(classify(err), err)
	}
	o.currTx, o.currHash, o.currSig = cur.GetTxId(), cur.GetTxHash(), cur.GetSignature()
	uuid := au.cl.ServerUUID()
	if uuid == "" {
		return fail(resultError, client.ErrNoServerUUID)
	}
	// The identity pin is checked before anything else: a server that
	// changed its UUID would otherwise start afresh with no trusted state.
	if err := au.cl.StateStore().CheckIdentity(uuid, au.addr); err != nil {
		// Only another UUID is the server's doing; a pin file that cannot
		// be written or read is a local problem, not tampering.
		if errors.Is(err, client.ErrServerIdentityChanged) {
			return fail(resultFailed, err)
		}
		return fail(resultError, err)
	}
	if err := checkStateShape(db, cur); err != nil {
		return fail(resultFailed, err)
	}
	if au.embeddedKeys && len(cur.GetSignature().GetSignature()) > 0 {
		if !au.warned {
			au.warned = true
			au.log.Warn("signed states are checked with the public key the server sends, which only detects damage: give --server-signing-pub-key to detect forgery")
		}
		if err := checkEmbeddedSignature(db, cur); err != nil {
			return fail(resultFailed, err)
		}
	}
	prev, err := au.cl.TrustedState()
	if err != nil {
		return fail(resultError, err)
	}
	if prev != nil {
		o.prevTx, o.prevHash, o.prevSig = prev.GetTxId(), prev.GetTxHash(), prev.GetSignature()
	}
	switch {
	case prev == nil && cur.GetTxId() == 0:
		return fail(resultSkipped, errors.New("database is empty, nothing to trust yet"))
	case prev == nil:
		// First sight of this database: its current state is trusted as it
		// is (as immudb's auditor does) and later rounds prove from it.
		if err := au.trustFirst(uuid, db, cur); err != nil {
			return fail(resultError, err)
		}
		o.result = resultOK
		return o
	case prev != nil && cur.GetTxId() < prev.GetTxId():
		return fail(resultFailed, fmt.Errorf("%w: server at tx %d, trusted state at tx %d", client.ErrServerStateIsOlder, cur.GetTxId(), prev.GetTxId()))
	case prev != nil && cur.GetTxId() == prev.GetTxId():
		if !bytes.Equal(cur.GetTxHash(), prev.GetTxHash()) {
			return fail(resultFailed, fmt.Errorf("%w: tx %d has hash %x on the server, %x in the trusted state", client.ErrCorruptedData, cur.GetTxId(), cur.GetTxHash(), prev.GetTxHash()))
		}
		o.result = resultOK
		return o
	}
	// VerifiedTxByID proves tx cur.TxId from the trusted state (dual proof,
	// with the linear-advance proof) and stores the proven state only when
	// everything holds.
	err = au.withLogin(ctx, func() error {
		_, err := au.cl.VerifiedTxByID(ctx, cur.GetTxId())
		return err
	})
	if err != nil {
		return fail(classify(err), err)
	}
	// The proven header must be the one the server calls its current state.
	got, err := au.cl.TrustedState()
	if err != nil {
		return fail(resultError, err)
	}
	if got.GetTxId() != cur.GetTxId() || !bytes.Equal(got.GetTxHash(), cur.GetTxHash()) {
		return fail(resultFailed, fmt.Errorf("%w: current state says tx %d hash %x, the proof gives tx %d hash %x",
			client.ErrCorruptedData, cur.GetTxId(), cur.GetTxHash(), got.GetTxId(), got.GetTxHash()))
	}
	o.result = resultOK
	return o
}

// trustFirst stores cur as the first trusted state of db, unless another
// auditor sharing the roots directory stored one meanwhile.
func (au *auditor) trustFirst(uuid, db string, cur *schema.ImmutableState) error {
	store := au.cl.StateStore()
	unlock, err := store.Lock(uuid)
	if err != nil {
		return err
	}
	defer unlock()
	if st, err := store.Get(uuid, db); err != nil || st != nil {
		return err
	}
	if len(cur.GetTxHash()) != proof.HashSize {
		return fmt.Errorf("%w: server state hash of %d bytes", client.ErrCorruptedData, len(cur.GetTxHash()))
	}
	return store.Set(uuid, &schema.ImmutableState{Db: db, TxId: cur.GetTxId(), TxHash: cur.GetTxHash(), Signature: cur.GetSignature()})
}

// checkStateShape refuses a current state that cannot be a true answer
// for db: another database's state, or a hash that is not a SHA-256 (an
// empty database, at tx 0, may send none). Trusting such a state first
// would make every later round fail, or pass against the wrong database.
func checkStateShape(db string, st *schema.ImmutableState) error {
	if st.GetDb() != db {
		return fmt.Errorf("%w: asked for the state of database %q, the server sent the state of database %q", client.ErrCorruptedData, db, st.GetDb())
	}
	if n := len(st.GetTxHash()); n != proof.HashSize && (st.GetTxId() != 0 || n != 0) {
		return fmt.Errorf("%w: server state hash of %d bytes at tx %d", client.ErrCorruptedData, n, st.GetTxId())
	}
	return nil
}

// classify tells a failed proof from a check that could not be made.
func classify(err error) auditResult {
	if errors.Is(err, client.ErrCorruptedData) || errors.Is(err, client.ErrServerIdentityChanged) || errors.Is(err, client.ErrServerStateIsOlder) {
		return resultFailed
	}
	return resultError
}

// checkEmbeddedSignature verifies a signed state with the key it carries.
// That only shows the state was not damaged on the way: whoever forged the
// state could sign it with a key of its own.
func checkEmbeddedSignature(db string, st *schema.ImmutableState) error {
	sig := st.GetSignature()
	if len(sig.GetSignature()) == 0 {
		return nil
	}
	pub, err := proof.ParsePublicKeyBytes(sig.GetPublicKey())
	if err != nil {
		return fmt.Errorf("%w: public key sent with the state: %v", client.ErrCorruptedData, err)
	}
	if err := proof.VerifyStateSignature(pub, db, st.GetTxId(), st.GetTxHash(), sig.GetSignature()); err != nil {
		return fmt.Errorf("%w: unable to verify signature: %v", client.ErrCorruptedData, err)
	}
	return nil
}

// logOutcome writes one line per database check.
func (au *auditor) logOutcome(run int, o *dbOutcome) {
	attrs := []any{"run", run, "db", o.db, "result", o.result.String(), "server_id", au.serverID(), "server_address", au.addr}
	if o.prevHash != nil {
		attrs = append(attrs, "prev_tx", o.prevTx, "prev_hash", fmt.Sprintf("%x", o.prevHash))
	}
	if o.currHash != nil {
		attrs = append(attrs, "curr_tx", o.currTx, "curr_hash", fmt.Sprintf("%x", o.currHash))
	}
	if o.err != nil {
		attrs = append(attrs, "error", errorText(o.err))
	}
	switch o.result {
	case resultOK:
		au.log.Info("audit result", attrs...)
	case resultSkipped:
		au.log.Warn("audit result", attrs...)
	case resultFailed:
		au.log.Error("audit result: possible tampering, the trusted state is kept", attrs...)
	default:
		au.log.Error("audit result", attrs...)
	}
}
