// Preloaded into a benchmarked process when BENCH_PROFILE=1 (node -r). Profiles from the start and
// writes a .cpuprofile on SIGWINCH (Nest's shutdown hooks take SIGUSR2), because `node --cpu-prof` only writes on a normal exit and the
// API ends by re-raising SIGTERM. Plain JavaScript so that dist/ processes need no ts-node.
'use strict';
const { Session } = require('node:inspector');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const session = new Session();
session.connect();
session.post('Profiler.enable', () => {
  session.post('Profiler.setSamplingInterval', { interval: 500 }, () => {
    session.post('Profiler.start');
  });
});

let part = 0;
process.on('SIGWINCH', () => {
  session.post('Profiler.stop', (error, result) => {
    if (!error) {
      const dir = process.env.BENCH_PROFILE_DIR || '.';
      mkdirSync(dir, { recursive: true });
      const name = `${process.env.BENCH_PROFILE_NAME || 'process'}-${process.pid}-${part++}`;
      writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(result.profile));
    }
    session.post('Profiler.start');
  });
});
