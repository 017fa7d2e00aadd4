#!/usr/bin/env node
// The job service's executable entry (`npm run jobs`, or run this file under a supervisor): runs
// server/src/jobs/service/main.ts, passing its arguments (-config <file>) and signals on.
import {runTs} from './run-ts.mjs';

runTs('jobs/service/main.ts');
