#!/usr/bin/env node
// The recorder's executable entry (what a job runner starts, with the job's environment, reference §8):
// runs server/src/jobs/recorder/main.ts in any working directory (a runner starts it in the job's own),
// passing signals on and exiting with its code. The in-process runner's IPC channel is passed through:
// its closing (the server died) makes the recorder finish and upload on its own.
import {runTs} from './run-ts.mjs';

runTs('jobs/recorder/main.ts', {ipc: true});
