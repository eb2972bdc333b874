// Simulation speed beside RaftScope's own core (issue 12, part 3), on one
// workload: 5 servers, election timeout 100-200 ms, heartbeat 50 ms, RPC
// latency 10-15 ms, one entry per AppendEntries, a client request every
// 10 ms (100/s, open loop: nobody waits for an answer), 600 virtual s.
//
//   cargo build --profile fast -p quorum-cli && node scripts/sim-vs-raftscope.mjs
//
// (`fast` is the release profile with whole-program optimisation; set
// QUORUM to measure another build, e.g. target/release/quorum.)
//
// RaftScope's raft.js and util.js are read from ../shared/bench/raftscope/
// (or $RAFTSCOPE) at run time, never copied here. Its core is stepped at
// 1 ms, as its page would run it headless, and every 10 ms a request is
// appended to the leader's log (`raft.clientRequest`). Its leader keeps one
// AppendEntries in flight per follower (`rpcDue`).
//
// Quorum runs the same load as scenario events: a `request` every 10 ms (a
// one-shot client each; it goes to the leader the clients know and never
// retries or gives up within the run, so each request is one log entry, as
// in RaftScope), with `max_entries_per_append: 1` and, to match RaftScope's
// one AppendEntries in flight, `max_inflight: 1`. The same load with
// Quorum's default flow control (8 in flight, so more of it commits and
// there is more to simulate) is measured too. `quorum run --time` reports the simulator's own wall time
// (building the cluster and running it; not reading the 4 MB scenario or
// starting the process), the like of RaftScope's loop timed inside Node;
// the process's whole time is shown beside it.
//
// Each side runs $RUNS times (default 3), alternating, and the median
// counts. SECONDS_VIRTUAL changes the run's length.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scope = process.env.RAFTSCOPE ?? join(root, '..', 'shared', 'bench', 'raftscope');
const SECONDS = Number(process.env.SECONDS_VIRTUAL ?? 600);
const RUNS = Number(process.env.RUNS ?? 3);
const bin = process.env.QUORUM ?? join(root, 'target', 'fast', 'quorum');

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

function scenarioFile(maxInflight) {
  const events = [];
  for (let ms = 10; ms <= SECONDS * 1000; ms += 10) {
    events.push({ at_ms: ms, do: 'request', op: { type: 'put', key: 'k', value: 'v' } });
  }
  const hour = 3600000;
  const scenario = {
    version: 1,
    name: `RaftScope workload, max_inflight ${maxInflight}`,
    seed: 1,
    nodes: 5,
    timing: { election_timeout_ms: [100, 200], heartbeat_ms: 50, latency_ms: [10, 15] },
    clients: { count: 0, timeout_ms: hour, retry_ms: hour },
    raft: { max_entries_per_append: 1, max_inflight: maxInflight },
    duration_ms: SECONDS * 1000,
    events,
  };
  const file = join(mkdtempSync(join(tmpdir(), 'quorum-bench-')), 'raftscope-workload.json');
  writeFileSync(file, JSON.stringify(scenario));
  return file;
}

function quorum(file) {
  const t0 = performance.now();
  const r = spawnSync(bin, ['run', file, '--time'], { encoding: 'utf8' });
  const whole = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`quorum run ${file}: exit ${r.status}: ${r.stderr}`);
  const sim = Number(r.stderr.match(/in ([0-9.]+) s of wall time/)?.[1]);
  const num = (re) => Number(r.stdout.match(re)?.[1] ?? NaN);
  return {
    sim,
    whole,
    invoked: num(/client ops: (\d+) invoked/),
    committed: num(/entries committed: (\d+)/),
    events: num(/, (\d+) events\n/),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const files = { matched: scenarioFile(1), defaults: scenarioFile(8) };
const rs = [];
const q = { matched: [], defaults: [] };
for (let i = 0; i < RUNS; i++) {
  rs.push(raftscope());
  for (const k of Object.keys(q)) q[k].push(quorum(files[k]));
}
const r = { ...rs[0], wall: median(rs.map((x) => x.wall)), best: Math.min(...rs.map((x) => x.wall)) };
const rate = (n) => `${n} requests (${(n / SECONDS).toFixed(0)}/s)`;
const secs = (med, best) => `${med.toFixed(3)} s (fastest ${best.toFixed(3)} s)`;
console.log(
  `${SECONDS} virtual s, 5 servers, a request every 10 ms, one entry per AppendEntries; median of ${RUNS} runs each, alternating; Quorum: ${bin}`,
);
console.log(
  `RaftScope core (Node ${process.version}, its loop timed inside Node): ${secs(r.wall, r.best)}, ${(SECONDS / r.wall).toFixed(0)}x real time; ${rate(r.requests)}, ${r.committed} committed`,
);
for (const [k, label] of [
  ['matched', 'one AppendEntries in flight, as RaftScope'],
  ['defaults', "Quorum's default flow control, 8 in flight"],
]) {
  const runs = q[k];
  const sim = median(runs.map((x) => x.sim));
  const simBest = Math.min(...runs.map((x) => x.sim));
  const whole = median(runs.map((x) => x.whole));
  const x = runs[0];
  console.log(
    `Quorum, ${label}: simulator ${secs(sim, simBest)}, ${(SECONDS / sim).toFixed(0)}x real time, ${x.events} events; whole process ${whole.toFixed(3)} s (with starting it and reading the ${x.invoked}-request scenario); ${rate(x.invoked)}, ${x.committed} committed`,
  );
  console.log(
    `  ratio: ${(r.wall / sim).toFixed(1)}x RaftScope's core, median against median (fastest against fastest: ${(r.best / simBest).toFixed(1)}x); ${(r.wall / whole).toFixed(1)}x counting Quorum's whole process`,
  );
}
