// Native and wasm32 give byte-identical traces for every shipped scenario.
//
// Needs two builds first (scripts/test.sh makes them):
//   cargo build --release -p quorum-cli
//   cargo build --release -p wasm-trace --target wasm32-unknown-unknown
// The wasm module is the core compiled for wasm32 with no imports at all,
// run here by Node's own WebAssembly engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = process.env.CARGO_TARGET_DIR || join(root, 'target');
const wasmPath = join(target, 'wasm32-unknown-unknown/release/wasm_trace.wasm');
const cliPath = join(target, 'release/quorum');

const module = new WebAssembly.Module(readFileSync(wasmPath));

function wasmTrace(json) {
  // A fresh instance per run: nothing carries over between scenarios.
  const { exports: w } = new WebAssembly.Instance(module, {});
  const input = new TextEncoder().encode(json);
  const ptr = w.qw_alloc(input.length);
  new Uint8Array(w.memory.buffer, ptr, input.length).set(input);
  const len = w.qw_run(ptr, input.length);
  const out = new Uint8Array(w.memory.buffer, w.qw_out_ptr(), len);
  return Buffer.from(out);
}

function nativeTrace(file) {
  return execFileSync(cliPath, ['run', file, '--trace', '-'], {
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

const sha = (b) => createHash('sha256').update(b).digest('hex');

test('the wasm module imports nothing from its host', () => {
  assert.deepEqual(WebAssembly.Module.imports(module), []);
});

const dir = join(root, 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

// The golden digests (verify/tests/golden.rs): the traces may not change
// while code moves, in wasm32 any more than natively.
const golden = new Map(
  readFileSync(join(root, 'verify/tests/golden/traces.tsv'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('#')) // the header: the behaviour blessed under
    .map((l) => l.split('\t'))
    .map(([name, lines, bytes, digest]) => [name, { lines: +lines, bytes: +bytes, digest }]),
);
const bugFiles = readdirSync(join(dir, 'bugs')).filter((f) => f.endsWith('.json')).sort();

test('there are scenarios to compare', () => {
  assert.ok(files.length >= 15, `${files.length} scenarios`);
});

for (const f of files) {
  test(`native == wasm32: ${f}`, () => {
    const path = join(dir, f);
    const wasm = wasmTrace(readFileSync(path, 'utf8'));
    const native = nativeTrace(path);
    assert.ok(!wasm.subarray(0, 6).equals(Buffer.from('error:')), wasm.toString().slice(0, 200));
    assert.ok(native.length > 1000, `${f}: native trace is ${native.length} bytes`);
    assert.equal(sha(wasm), sha(native), `${f}: ${wasm.length} vs ${native.length} bytes`);
  });
}

for (const f of [...files, ...bugFiles.map((b) => `bugs/${b}`)]) {
  test(`wasm32 == golden: ${f}`, () => {
    const want = golden.get(`scenarios/${f}`);
    assert.ok(want, `scenarios/${f} has no golden digest`);
    const wasm = wasmTrace(readFileSync(join(dir, f), 'utf8'));
    assert.equal(wasm.length, want.bytes, `${f}: ${wasm.length} bytes, golden ${want.bytes}`);
    assert.equal(sha(wasm), want.digest, `${f}: the trace differs from the golden one`);
  });
}

test('wasm32 reports scenario errors instead of trapping', () => {
  const out = wasmTrace('{"version":1,"nodes":5,"events":[{"at_ms":1,"do":"crash","node":9}]}').toString();
  assert.equal(out, 'error: events[0].node: 9 is not a node of a 5-node cluster (nodes are 1..=5)');
});
