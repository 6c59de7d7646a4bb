#!/usr/bin/env node
// Login timing by outcome: how long PasswordAuthenticator.check takes for an
// unknown name, compared with real users whose hashes differ in cost (the
// penetration test's setup). Prints medians and ratios measured in this run;
// unknown/costliest should be about 1. Needs `npx tsc -p tsconfig.json`.
//
//   node bench/login-timing.mjs [--rounds 15]
import { performance } from 'node:perf_hooks';
import { ConfigUserStore, PasswordAuthenticator, hashPassword } from '../dist/auth/users/index.js';
import { arg } from './lib.mjs';

const ROUNDS = arg('rounds', 15);
const CHEAP = { N: 8192, r: 8, p: 1 };
const DEAR = { N: 32768, r: 8, p: 1 };

const users = new ConfigUserStore({
  cheap: { passwordHash: await hashPassword('pw-cheap', CHEAP) },
  dear: { passwordHash: await hashPassword('pw-dear', DEAR) },
});
const auth = await PasswordAuthenticator.create(users);

async function median(username) {
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await auth.check(username, 'wrong password');
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

// Interleave once to warm up, then measure each outcome.
await median('nobody');
const unknown = await median('nobody');
const dear = await median('dear');
const cheap = await median('cheap');
console.log(`dummy hash parameters: N=${auth.dummyParams.N}, r=${auth.dummyParams.r}, p=${auth.dummyParams.p}`);
console.log(`median ms: unknown ${unknown.toFixed(1)}, costliest user (N=${DEAR.N}) ${dear.toFixed(1)}, cheaper user (N=${CHEAP.N}) ${cheap.toFixed(1)}`);
console.log(`ratio unknown/costliest user: ${(unknown / dear).toFixed(2)}`);
console.log(`ratio unknown/cheaper user:   ${(unknown / cheap).toFixed(2)} (a cheaper hash answers faster; rehash users with one cost)`);
