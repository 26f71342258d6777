// bench.mjs times iam-simulate on sesame's StartSession benchmark cases,
// for make bench-iam (internal/iam/bench_test.go, TestBenchIAMSimulate).
// Test-only: @cloud-copilot/iam-simulate is AGPL-3.0 and runs here as a
// separate process, never linked into or shipped with sesame.
//
// Usage: node bench.mjs CASES.json [SECONDS]
//
// CASES.json is [{"name": ..., "sims": [Simulation, ...]}]: one
// StartSession call is every simulation of a case (the target, then the
// session document), run in order. For each case it prints one JSON line:
// {"name", "nsPerOp", "ops", "results"}, nsPerOp being the time of one whole
// call, measured for about SECONDS (default 2) after a warm-up.
import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const [file, secondsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench.mjs CASES.json [SECONDS]');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 2);
const cases = JSON.parse(readFileSync(file, 'utf8'));

async function call(sims) {
  const results = [];
  for (const sim of sims) {
    const res = await runSimulation(sim, {});
    if (res.resultType !== 'single') {
      throw new Error(`unexpected result ${JSON.stringify(res.errors ?? res.resultType)}`);
    }
    results.push(res.overallResult);
  }
  return results;
}

for (const c of cases) {
  try {
    const results = await call(c.sims);
    // Warm up for a quarter of the time, then count whole calls.
    for (const end = performance.now() + (seconds * 1000) / 4; performance.now() < end; ) {
      await call(c.sims);
    }
    let ops = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < seconds * 1000) {
      await call(c.sims);
      ops++;
      elapsed = performance.now() - start;
    }
    console.log(JSON.stringify({ name: c.name, nsPerOp: (elapsed * 1e6) / ops, ops, results }));
  } catch (err) {
    console.log(JSON.stringify({ name: c.name, error: String(err && err.stack ? err.stack : err) }));
  }
}
