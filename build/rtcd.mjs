#!/usr/bin/env node
// The rtcd media service's executable entry (`npm run rtcd`, or run this file under a supervisor): runs
// server/src/rtcd/service/main.ts, passing its arguments (-config <file>) and signals on.
import {runTs} from './run-ts.mjs';

runTs('rtcd/service/main.ts');
