'use strict';
// The example web app behind HAProxy (Node standard library only).
//   GET /        -> JSON {hello, ip, host, tag, sessionViews, id} + header x-backend-ip;
//                   cookie NODESESSID names an in-memory session that counts sessionViews
//   POST /delay  -> body {"delay": ms}: every following request waits that long
//   GET /health  -> 200 "ok" (never delayed)
// Env: PORT (3000), BIND (0.0.0.0), TAG, SERVER_IP (default: first non-internal IPv4),
//      LOG_CHECKS=1 also logs health checks (HEAD requests and /health), SHUTDOWN_TIMEOUT ms (10000),
//      DRAIN_IDLE ms (0: no drain), DRAIN_TIMEOUT ms (5000).
// One log line per request on stdout. SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0.
// With DRAIN_IDLE > 0, a drain comes first: health checks (HEAD, /health) answer 503 so that a
// balancer marks us down, every other request is still served (with "Connection: close"), and
// the listener closes once no such request came for DRAIN_IDLE ms (at most DRAIN_TIMEOUT ms).
// Behind a balancer that learns about a leaving backend a moment later (Serf's leave, then an
// HAProxy reload), this is what keeps the requests it still sends us from failing.
const http = require('http');
const os = require('os');
const crypto = require('crypto');

const PORT = Number(process.env.PORT || 3000);
const BIND = process.env.BIND || '0.0.0.0';
const TAG = process.env.TAG || '';
const HOST = os.hostname();
const IP = process.env.SERVER_IP || ownIPv4();
const LOG_CHECKS = process.env.LOG_CHECKS === '1';
const SHUTDOWN_TIMEOUT = Number(process.env.SHUTDOWN_TIMEOUT || 10000);
const DRAIN_IDLE = Number(process.env.DRAIN_IDLE || 0);
const DRAIN_TIMEOUT = Number(process.env.DRAIN_TIMEOUT || 5000);
const SESSION_TTL = 60 * 60 * 1000; // idle sessions are forgotten after an hour
const COOKIE = 'NODESESSID';

// Our own address: the first non-internal IPv4 of any interface (loopback if there is none).
function ownIPv4() {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs || []) {
      if ((a.family === 'IPv4' || a.family === 4) && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}

const sessions = new Map(); // id -> {views, seen}
setInterval(() => {
  const old = Date.now() - SESSION_TTL;
  for (const [id, s] of sessions) if (s.seen < old) sessions.delete(id);
}, 60 * 1000).unref();

function cookieId(req) {
  const m = /(?:^|;\s*)NODESESSID=([0-9a-f]{32})(?:;|$)/.exec(req.headers.cookie || '');
  return m ? m[1] : null;
}

// A well-formed id we do not know (set by another backend, or before a restart) is adopted,
// so that round robin keeps one count per backend for the same client.
function session(req, res) {
  let id = cookieId(req);
  if (!id) id = crypto.randomBytes(16).toString('hex');
  let s = sessions.get(id);
  if (!s) sessions.set(id, (s = { views: 0, seen: 0 }));
  s.seen = Date.now();
  res.setHeader('Set-Cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
  return [id, s];
}

function send(res, status, body, type = 'application/json') {
  const text = type === 'application/json' ? JSON.stringify(body) + '\n' : body;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req, done) {
  let data = '';
  req.setEncoding('utf8');
  req.on('data', (c) => { data += c; if (data.length > 10000) req.destroy(); });
  req.on('end', () => { try { done(null, JSON.parse(data)); } catch (e) { done(e); } });
}

let delay = 0;
let stopping = false;
let draining = false;
let lastRequest = 0; // when the last request that is not a health check came (drain)

function isCheck(req, path) { return req.method === 'HEAD' || path === '/health'; }

function handle(req, res) {
  const path = req.url.split('?')[0];
  res.setHeader('x-backend-ip', IP);
  if (stopping || draining) res.setHeader('Connection', 'close');
  if (draining && isCheck(req, path)) return send(res, 503, 'draining\n', 'text/plain');
  if (!isCheck(req, path)) lastRequest = Date.now();
  if (path === '/health') return send(res, 200, 'ok\n', 'text/plain');
  if (path === '/delay' && req.method === 'POST') {
    return readJson(req, (err, body) => {
      const ms = body && Number(body.delay);
      if (err || !Number.isFinite(ms) || ms < 0 || ms > 600000) {
        return send(res, 400, { error: 'expected JSON {"delay": ms} with 0 <= ms <= 600000' });
      }
      delay = ms;
      send(res, 200, { delay });
    });
  }
  setTimeout(() => {
    if (path !== '/') return send(res, 404, { error: 'not found' });
    if (req.method === 'HEAD') return send(res, 200, '', 'text/plain'); // health checks: no session
    if (req.method !== 'GET') return send(res, 405, { error: 'method not allowed' });
    const [id, s] = session(req, res);
    s.views += 1;
    send(res, 200, { hello: 'world!', ip: IP, host: HOST, tag: TAG, sessionViews: s.views, id });
  }, delay);
}

const server = http.createServer((req, res) => {
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    const path = req.url.split('?')[0];
    if (!LOG_CHECKS && (req.method === 'HEAD' || path === '/health')) return;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(`${req.method} ${path} ${res.statusCode} ${ms.toFixed(1)}ms`);
  });
  handle(req, res);
});

server.listen(PORT, BIND, () => {
  console.log(`webapp listening on ${BIND}:${PORT} (ip ${IP}, host ${HOST}, tag "${TAG}")`);
});

function shutdown(sig) {
  if (stopping) return;
  if (DRAIN_IDLE > 0 && !draining) {
    draining = true;
    const start = Date.now();
    lastRequest = start;
    console.log(`${sig}: draining: health checks answer 503, closing after ${DRAIN_IDLE} ms without a request (at most ${DRAIN_TIMEOUT} ms)`);
    const timer = setInterval(() => {
      const now = Date.now();
      if (now - lastRequest < DRAIN_IDLE && now - start < DRAIN_TIMEOUT) return;
      clearInterval(timer);
      console.log(`drained in ${now - start} ms`);
      shutdown(sig);
    }, 50);
    return;
  }
  stopping = true;
  console.log(`${sig}: not accepting new connections, finishing in-flight requests`);
  server.close(() => { console.log('webapp stopped'); process.exit(0); });
  server.closeIdleConnections(); // keep-alive connections with no request in flight
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  idle.unref();
  setTimeout(() => { console.log('shutdown timeout, exiting'); process.exit(1); }, SHUTDOWN_TIMEOUT).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
