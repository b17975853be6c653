/**
 * The floor: a bare Node `http` server answering every request with a small JSON body, on PORT.
 * Run as its own process (node --import tsx bench/api/floor-server.ts), like the API.
 */
import http from 'node:http';

const body = JSON.stringify({ data: { id: '00000000-0000-4000-8000-000000000000', status: 'ok', label: 'floor' } });
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('floor listening\n'));
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
