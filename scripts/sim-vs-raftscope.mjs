// Simulation speed beside RaftScope's own core (issue 12, part 3), same
// workload: 5 servers, RPC latency 10-15 ms, one entry per AppendEntries,
// about 100 client requests per second, 600 virtual seconds.
//
//   cargo build --release -p quorum-cli && node scripts/sim-vs-raftscope.mjs
//
// RaftScope's raft.js and util.js are read from ../shared/bench/raftscope/
// (or $RAFTSCOPE) at run time, never copied here. Its core is stepped at
// 1 ms, as its page would run it headless; a request goes to the leader
// every 10 ms. Quorum runs the scenario below with `quorum run` (trace off,
// no checks): closed-loop clients whose think time gives about 100 ops/s.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scope = process.env.RAFTSCOPE ?? join(root, '..', 'shared', 'bench', 'raftscope');
const SECONDS = Number(process.env.SECONDS_VIRTUAL ?? 600);

function raftscope() {
  const ctx = { $: { map: (m, f) => Object.keys(m).map((k) => f(m[k], k)) }, Math };
  vm.createContext(ctx);
  const src = ['util.js', 'raft.js'].map((f) => readFileSync(join(scope, f), 'utf8')).join('\n');
  vm.runInContext(`${src}\n;this.raft = raft;`, ctx);
  const raft = ctx.raft;
  const ids = [1, 2, 3, 4, 5];
  const model = { servers: ids.map((id) => raft.server(id, ids.filter((p) => p !== id))), messages: [], time: 0 };
  let requests = 0;
  const t0 = performance.now();
  for (let ms = 1; ms <= SECONDS * 1000; ms++) {
    model.time = ms * 1000;
    raft.update(model);
    if (ms % 10 === 0) {
      const leader = model.servers.find((s) => s.state === 'leader');
      if (leader) {
        raft.clientRequest(model, leader);
        requests++;
      }
    }
  }
  const wall = (performance.now() - t0) / 1000;
  const committed = Math.max(...model.servers.map((s) => s.commitIndex));
  return { wall, requests, committed };
}

function quorum() {
  const scenario = {
    version: 1,
    name: 'RaftScope workload',
    seed: 1,
    nodes: 5,
    timing: { election_timeout_ms: [100, 200], heartbeat_ms: 50, latency_ms: [10, 15] },
    clients: { count: 8, think_ms: [0, 20], keys: 3, timeout_ms: 1000 },
    raft: { max_entries_per_append: 1 },
    duration_ms: SECONDS * 1000,
  };
  const dir = mkdtempSync(join(tmpdir(), 'quorum-bench-'));
  const file = join(dir, 'raftscope-workload.json');
  writeFileSync(file, JSON.stringify(scenario));
  const bin = join(root, 'target', 'release', 'quorum');
  const t0 = performance.now();
  const out = execFileSync(bin, ['run', file], { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  return { wall, out };
}

const r = raftscope();
console.log(`RaftScope core: ${SECONDS} virtual s in ${r.wall.toFixed(2)} s (${(SECONDS / r.wall).toFixed(0)}x real time), ${r.requests} requests, ${r.committed} committed`);
const q = quorum();
const invoked = Number(q.out.match(/client ops: (\d+) invoked/)?.[1] ?? 0);
const committedQ = Number(q.out.match(/entries committed: (\d+)/)?.[1] ?? 0);
const ops = `${invoked} requests (${(invoked / SECONDS).toFixed(0)}/s), ${committedQ} committed`;
console.log(`Quorum (quorum run, process start included): ${SECONDS} virtual s in ${q.wall.toFixed(2)} s (${(SECONDS / q.wall).toFixed(0)}x real time); ${ops}`);
console.log(`ratio: Quorum is ${(r.wall / q.wall).toFixed(1)}x RaftScope's core`);
