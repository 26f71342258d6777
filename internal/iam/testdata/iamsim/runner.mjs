// runner.mjs is the oracle side of sesame's IAM differential test
// (internal/iam/diff_test.go). It is a test-only tool: the package it runs,
// @cloud-copilot/iam-simulate, is AGPL-3.0 and is never linked into,
// vendored with or shipped with sesame; go test starts this script as a
// separate process.
//
// Protocol: one JSON object per line on stdin, {"id": N, "sim": Simulation}
// (iam-simulate's Simulation type), and one JSON object per line on stdout,
// in the same order:
//
//   {"id": N, "result": "allowed" | "implicit" | "explicit"}
//   {"id": N, "error": "..."}               the simulation did not run
//   {"id": N, "result": ..., "ignored": [...]}  context keys it dropped
//
// Lines are answered one at a time, so the Go side can stream a whole batch
// through one process or ask one question and wait for the answer.
import { createInterface } from 'node:readline';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const decisions = {
  Allowed: 'allowed',
  ImplicitlyDenied: 'implicit',
  ExplicitlyDenied: 'explicit',
};

async function answer(line) {
  let id = null;
  try {
    const req = JSON.parse(line);
    id = req.id;
    const res = await runSimulation(req.sim, {});
    if (res.resultType === 'error') {
      return { id, error: JSON.stringify(res.errors) };
    }
    if (res.resultType !== 'single') {
      return { id, error: `unexpected resultType ${res.resultType}` };
    }
    const out = { id, result: decisions[res.overallResult] ?? `unknown:${res.overallResult}` };
    const ignored = res.result.ignoredContextKeys ?? [];
    if (ignored.length > 0) {
      out.ignored = ignored;
    }
    return out;
  } catch (err) {
    return { id, error: `exception: ${err && err.stack ? err.stack : err}` };
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === '') continue;
  process.stdout.write(JSON.stringify(await answer(line)) + '\n');
}
