package session

// AddTransaction registers an interactive transaction (NewTx) and returns
// its transactionID, a fresh random ID like session IDs.
func (m *Manager) AddTransaction(sessionID string, tx Transaction) (string, error) {
	s, err := m.lookup(sessionID)
	if err != nil {
		return "", err
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	if s.txs == nil {
		s.txs = map[string]Transaction{}
	}
	s.txs[id] = tx
	s.mu.Unlock()
	return id, nil
}

// Transaction returns the transaction txID of the session (TxSQLExec,
// TxSQLQuery).
func (m *Manager) Transaction(sessionID, txID string) (Transaction, error) {
	s, err := m.lookup(sessionID)
	if err != nil {
		return nil, err
	}
	if txID == "" {
		return nil, ErrNoTransactionID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, ok := s.txs[txID]
	if !ok {
		return nil, ErrTransactionNotFound
	}
	return tx, nil
}

// RemoveTransaction forgets txID (after Commit or Rollback) and returns it.
func (m *Manager) RemoveTransaction(sessionID, txID string) (Transaction, error) {
	s, err := m.lookup(sessionID)
	if err != nil {
		return nil, err
	}
	if txID == "" {
		return nil, ErrNoTransactionID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, ok := s.txs[txID]
	if !ok {
		return nil, ErrTransactionNotFound
	}
	delete(s.txs, txID)
	return tx, nil
}

// rollbackAll rolls back every transaction of a session that is already
// out of the map. Errors are ignored: the session is gone either way, and
// the transaction owns its own cleanup.
func rollbackAll(s *session) {
	s.mu.Lock()
	txs := s.txs
	s.txs = nil
	s.mu.Unlock()
	for _, tx := range txs {
		func() {
			// A panicking rollback must not take the guard down with it.
			defer func() { _ = recover() }()
			_ = tx.Rollback()
		}()
	}
}
