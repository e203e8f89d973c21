// The fallback for reading a bench server's CPU time where /proc does not exist (macOS): a tiny
// HTTP server on its own port in the server process that answers `process.cpuUsage()` (user and
// system µs, all threads). The harness reads /proc/<pid>/stat instead whenever it can, because
// that costs the measured process nothing; this endpoint answers one request per round.
import { createServer } from 'node:http';

/** Listens on a free loopback port; resolves with the port. */
export async function serveCpuEndpoint() {
  const server = createServer((_req, res) => {
    const { user, system } = process.cpuUsage();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ user, system }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Never keeps the process alive on its own (SIGTERM handlers call process.exit anyway).
  server.unref();
  return server.address().port;
}
