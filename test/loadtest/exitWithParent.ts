// Preloaded (`--import`) into the servers the load test starts, which are spawned with an IPC channel: when
// the coordinator goes away — finished, crashed, or killed by a signal it could not handle — the channel
// closes and the server stops itself as on Ctrl-C (SIGINT stops the server and rtcd at once), so no server
// outlives its load test.
if (process.send) {
  process.on('disconnect', () => {
    process.kill(process.pid, 'SIGINT');
    // A server that does not stop on the signal is not left behind either.
    setTimeout(() => process.exit(1), 15_000).unref();
  });
}
