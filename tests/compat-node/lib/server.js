'use strict'
// Starts OUR immudb-compatible server (cmd/immudb of the parent module) on
// 127.0.0.1, a random port and a temp dir, and stops it with SIGTERM.

const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const repoRoot = path.resolve(__dirname, '..', '..', '..')
const readyRE = /immudb is ready.*grpc=(127\.0\.0\.1):(\d+).*uuid=(\S+)/

// serverBinary returns $IMMUDB_BIN, or builds cmd/immudb into a temp dir.
function serverBinary () {
  if (process.env.IMMUDB_BIN) return process.env.IMMUDB_BIN
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'attestdb-bin-')), 'immudb')
  execFileSync('go', ['build', '-o', out, './cmd/immudb'], { cwd: repoRoot, stdio: 'inherit' })
  return out
}

// startServer resolves to { host, port, uuid, dir, stop() } once the server
// logs its ready line; it rejects if the process exits first or after 30 s.
function startServer (bin, extraArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestdb-node-'))
  const args = ['--dir', path.join(dir, 'data'), '--address', '127.0.0.1', '--port', '0',
    '--metrics-server=false', '--web-server=false', ...extraArgs]
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('server not ready after 30s:\n' + log)) }, 30000)
    const onData = (chunk) => {
      log += chunk.toString()
      const m = readyRE.exec(log)
      if (m) {
        clearTimeout(timer)
        resolve({
          host: m[1],
          port: m[2],
          uuid: m[3],
          dir,
          log: () => log,
          stop: () => new Promise((resolve) => {
            if (child.exitCode !== null) return resolve(child.exitCode)
            const kill = setTimeout(() => child.kill('SIGKILL'), 20000)
            child.once('exit', (code) => { clearTimeout(kill); fs.rmSync(dir, { recursive: true, force: true }); resolve(code) })
            child.kill('SIGTERM')
          })
        })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${log}`)) })
  })
}

module.exports = { serverBinary, startServer }
