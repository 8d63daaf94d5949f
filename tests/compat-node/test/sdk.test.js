'use strict'
// The official immudb Node.js SDK (immudb-node, pinned in package.json)
// against OUR server: every call answers as immudb v1.11 would, and every
// verified call verifies.
//
// immudb-node 1.1.1 hashes transactions the pre-1.2 way, which equals
// immudb's TxHeader version 0 (u16 version 0 ‖ u16 nentries == u32
// nentries; entry digest H(key ‖ H(value))). immudb v1.11 writes version 1
// by default, which this SDK cannot verify against immudb itself either, so
// the verified calls run on a database created with writeTxHeaderVersion=0,
// and a control checks that they are refused on a version-1 database.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const ImmudbClient = require('immudb-node').default
const fs = require('node:fs')
const os = require('node:os')
const { serverBinary, startServer } = require('../lib/server')

let srv
// The SDK writes its state file from a process 'exit' handler, so the
// directory goes only after that (a handler added last runs last).
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestdb-node-state-'))

before(async () => { srv = await startServer(serverBinary()) })
after(async () => {
  process.on('exit', () => fs.rmSync(stateDir, { recursive: true, force: true }))
  if (srv) assert.equal(await srv.stop(), 0, 'server exits 0 on SIGTERM')
})

// newClient logs in as the default superuser and selects db; each client
// keeps its own state file.
async function newClient (name, db) {
  const cl = new ImmudbClient({ host: srv.host, port: srv.port, rootPath: path.join(stateDir, `state-${name}.json`) })
  const h = await cl.health()
  assert.equal(h.status, true)
  assert.equal(typeof h.version, 'string') // the build's version
  const login = await cl.login({ user: 'immudb', password: 'immudb' })
  assert.ok(login.token.length > 0, 'login token')
  const use = await cl.useDatabase({ databasename: db })
  assert.ok(use.token.length > 0, 'useDatabase token')
  return cl
}

// captureErrors records what the SDK prints with console.error: it reports
// failed verifications there (and sometimes only there).
async function captureErrors (fn) {
  const seen = []
  const orig = console.error
  console.error = (...args) => { seen.push(args.map(String).join(' ')) }
  try {
    return { result: await fn(), errors: seen }
  } finally {
    console.error = orig
  }
}

// createV0Database calls CreateDatabaseV2 with writeTxHeaderVersion=0. The
// SDK's old schema has no such field, so the request is encoded by hand:
// CreateDatabaseRequest{name=1: db, settings=2: {writeTxHeaderVersion=20: {}}}
// (an empty NullableUint32 is the value 0).
function createV0Database (cl, db) {
  const name = Buffer.from(db)
  const settings = Buffer.from([0xa2, 0x01, 0x00])
  const req = Buffer.concat([Buffer.from([0x0a, name.length]), name, Buffer.from([0x12, settings.length]), settings])
  return new Promise((resolve, reject) => {
    cl.client.makeUnaryRequest('/immudb.schema.ImmuService/CreateDatabaseV2',
      (b) => b, (b) => b, req, cl._metadata, (err, res) => err ? reject(err) : resolve(res))
  })
}

test('plain calls through the legacy token flow', async () => {
  const cl = await newClient('plain', 'defaultdb')

  const tx1 = await cl.set({ key: 'k1', value: 'v1' })
  assert.ok(tx1.id >= 1)
  let e = await cl.get({ key: 'k1' })
  assert.deepEqual([e.key, e.value, e.tx], ['k1', 'v1', tx1.id])

  const tx2 = await cl.set({ key: 'k1', value: 'v2' })
  assert.equal(tx2.id, tx1.id + 1)
  const tx3 = await cl.set({ key: 'k2', value: 'w1' })

  const hist = await cl.history({ key: 'k1' })
  assert.deepEqual(hist.entriesList.map((x) => [x.value, x.tx]), [['v1', tx1.id], ['v2', tx2.id]])

  const scan = await cl.scan({ prefix: 'k' })
  assert.deepEqual(scan.entriesList.map((x) => [x.key, x.value]), [['k1', 'v2'], ['k2', 'w1']])
  const desc = await cl.scan({ prefix: 'k', desc: true, limit: 1 })
  assert.deepEqual(desc.entriesList.map((x) => x.key), ['k2'])

  await cl.zAdd({ set: 'board', score: 7.5, key: 'k1' })
  const z2 = await cl.zAdd({ set: 'board', score: 1.25, key: 'k2' })
  assert.equal(z2.nentries, 1)
  const zs = await cl.zScan({ set: 'board' })
  assert.deepEqual(zs.entriesList.map((x) => [x.key, x.score]), [['k2', 1.25], ['k1', 7.5]])

  const ref = await cl.setReference({ key: 'alias', referencedKey: 'k1' })
  e = await cl.get({ key: 'alias' })
  assert.deepEqual([e.key, e.value], ['k1', 'v2'], 'a reference resolves to the current value')

  const tx = await cl.txById({ tx: tx3.id })
  assert.equal(tx.metadata.id, tx3.id)
  assert.equal(tx.entriesList.length, 1)

  const st = await cl.currentState()
  assert.equal(st.txid, ref.id, 'state is at the last tx')
  assert.ok(st.txhash.length > 0)

  await assert.rejects(cl.get({ key: 'missing' }), /key not found/)
})

test('verified calls verify (writeTxHeaderVersion 0 database)', async () => {
  const admin = await newClient('admin', 'defaultdb')
  await createV0Database(admin, 'nodev0')
  const cl = await newClient('verified', 'nodev0')

  const { result, errors } = await captureErrors(async () => {
    const t1 = await cl.verifiedSet({ key: 'a', value: 'alpha' })
    const g1 = await cl.verifiedGet({ key: 'a' })
    const t2 = await cl.verifiedSet({ key: 'b', value: 'beta' })
    await cl.set({ key: 'c', value: 'gamma' })
    // The state is now past a's tx: the proof runs the other way.
    const g2 = await cl.verifiedGet({ key: 'a' })
    const z = await cl.verifiedZAdd({ set: 'scores', score: 3, key: 'b' })
    const r = await cl.verifiedSetReference({ key: 'ptr', referencedKey: 'a' })
    const gr = await cl.verifiedGet({ key: 'ptr' })
    const vt1 = await cl.verifiedTxById({ tx: t1.id })
    const vtr = await cl.verifiedTxById({ tx: r.id })
    return { t1, g1, t2, g2, z, r, gr, vt1, vtr }
  })
  assert.deepEqual(errors, [], 'the SDK reported no failed verification')
  const { t1, g1, t2, g2, z, r, gr, vt1, vtr } = result
  assert.equal(t1.id, 1, 'first tx of a new database')
  assert.deepEqual([g1.key, g1.value, g1.tx], ['a', 'alpha', t1.id])
  assert.equal(t2.id, t1.id + 1)
  assert.deepEqual([g2.value, g2.tx], ['alpha', t1.id])
  assert.equal(z.id, t2.id + 2)
  assert.equal(r.id, z.id + 1)
  assert.deepEqual([gr.key, gr.value], ['a', 'alpha'])
  assert.equal(gr.referencedby.tx, r.id)
  assert.equal(vt1.metadata.id, t1.id)
  assert.equal(vtr.metadata.id, r.id)

  // The SDK kept the newest verified state; it matches the server's.
  const st = await cl.currentState()
  assert.equal(st.txid, r.id)
})

test('control: the SDK refuses version-1 transactions (its hashing predates them)', async () => {
  const cl = await newClient('control', 'defaultdb')
  const { result, errors } = await captureErrors(async () => {
    try {
      await cl.verifiedSet({ key: 'v1key', value: 'x' })
      return 'verified'
    } catch {
      return 'refused'
    }
  })
  assert.equal(result, 'refused', 'a verification that cannot match was not checked')
  assert.ok(errors.some((e) => /verification failed/.test(e)), 'refused by the proof check: ' + errors.join('; '))
})

test('multi-key, counting, databases, users, txScan, index', async () => {
  const cl = await newClient('admin2', 'defaultdb')
  const all = await cl.setAll({ kvsList: [{ key: 'm1', value: 'one' }, { key: 'm2', value: 'two' }] })
  assert.equal(all.nentries, 2)
  const got = await cl.getAll({ keysList: ['m1', 'm2'], sincetx: all.id })
  assert.deepEqual(got.entriesList.map((x) => [x.key, x.value, x.tx]), [['m1', 'one', all.id], ['m2', 'two', all.id]])
  assert.equal((await cl.count({ prefix: 'm' })).count, 2)
  assert.ok((await cl.countAll()).count >= 2)

  // The deprecated CreateDatabase (what this SDK calls) and DatabaseList.
  await cl.createDatabase({ databasename: 'nodedb2' })
  const dbs = await cl.listDatabases()
  const names = dbs.databasesList.map((d) => d.databasename)
  assert.ok(names.includes('nodedb2') && names.includes('defaultdb') && !names.includes('systemdb'), names.join(','))

  await cl.createUser({ user: 'nodeuser', password: 'Node1234!', permission: 1, database: 'nodedb2' })
  await cl.changePermission({ action: 0, username: 'nodeuser', database: 'defaultdb', permission: 2 })
  const users = await cl.listUsers()
  const nu = users.usersList.find((u) => u.user === 'nodeuser')
  assert.ok(nu, 'nodeuser listed')
  assert.deepEqual(nu.permissionsList.map((p) => [p.database, p.permission]).sort(), [['defaultdb', 2], ['nodedb2', 1]])

  const txs = await cl.txScan({ initialtx: all.id, limit: 1, desc: false })
  assert.equal(txs.txsList.length, 1)
  assert.equal(txs.txsList[0].metadata.id, all.id)
  await cl.compactIndex()
})
