#!/usr/bin/env node
// A stand-in for the recorder program (build/recorder.mjs, another part of recording) so the job service
// can be tested with real child processes: it writes its environment and pid into DATA_DIR, a line to
// stderr, and then does what CALL_ID says — "exit0", "exit1", "sleep" (until SIGTERM, then exits 1
// after logging it) or "stubborn" (ignores SIGTERM).
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.DATA_DIR;
const mode = process.env.CALL_ID;
// Before the pid file: a test that signals the pid as soon as it sees the file must find the handler in place.
process.on('SIGTERM', () => {
  if (mode === 'stubborn') return void process.stderr.write('SIGTERM ignored\n');
  process.stderr.write('got SIGTERM\n');
  process.exit(1);
});
fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify(process.env));
fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
process.stderr.write(`fake recorder started for ${process.env.RECORDING_ID}\n`);
process.stdout.write('stdout is discarded\n');
if (mode === 'exit0') process.exit(0);
if (mode === 'exit1') {
  process.stderr.write('fake recorder failed\n');
  process.exit(1);
}
setInterval(() => {}, 1000);
