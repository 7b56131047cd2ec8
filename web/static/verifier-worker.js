// The browser's verifier, in a Web Worker so that the page stays
// responsive: it loads the verifier (package observer compiled to
// WebAssembly), opens the node's feed itself, gives it every message, and
// posts to the page how far it has verified. The page starts it with
// {election: ID, genesis: FINGERPRINT or ''}: with a fingerprint, the
// chain's genesis must be that one. Messages to the page:
//   {type: 'unavailable', reason}          the verifier could not load
//   {type: 'status', status, blocks, stats, connected}
// where status is the verifier's own report (web/wasm/verifier), blocks the
// ballots per block of the blocks it has verified ([height, ballots]), and
// stats the time spent verifying.
'use strict';
importScripts('/wasm/wasm_exec.js');

let verifier = null;
let election = '';
let queue = [];          // feed messages not yet given to the verifier
let scheduled = false;
let nextFrom = 1;        // the height to resume the feed from
let pending = [];        // [height, ballots] of blocks added, not yet verified
const verified = [];     // [height, ballots] of verified blocks, not yet posted
let last = null;         // the verifier's last status
let connected = false;
let socket = null;
const stats = { firstBlockAt: 0, busyMs: 0, messages: 0 };

async function load(integrity) {
  const resp = await fetch('/wasm/verifier.wasm', integrity ? { integrity } : {});
  if (!resp.ok) {
    throw new Error((await resp.text()).trim() || ('HTTP ' + resp.status));
  }
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(resp, go.importObject);
  go.run(instance); // runs main until it waits; evoteVerifier is set by then
  if (!self.evoteVerifier) throw new Error('the verifier did not start');
  return { sha256: (resp.headers.get('ETag') || '').replaceAll('"', '') };
}

function call(name, arg, arg2) {
  const t0 = performance.now();
  const out = JSON.parse(self.evoteVerifier[name](arg, arg2));
  stats.busyMs += performance.now() - t0;
  return out;
}

function post() {
  const h = last && last.follow ? last.follow.height : 0;
  while (pending.length && pending[0][0] <= h) verified.push(pending.shift());
  postMessage({ type: 'status', status: last, blocks: verified.splice(0), stats, connected });
}

function connect() {
  const proto = self.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = proto + '//' + self.location.host + '/api/v1/feed?election=' + encodeURIComponent(election) + '&from=' + nextFrom;
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => { connected = true; post(); };
  ws.onmessage = (e) => {
    if (typeof e.data !== 'string') return;
    queue.push(e.data);
    if (!scheduled) { scheduled = true; setTimeout(drain, 0); }
  };
  ws.onclose = () => {
    connected = false;
    post();
    if (last && !last.ok) return; // a failed verification stays failed
    setTimeout(connect, 2000);    // resume after the last block given
  };
}

// drain gives queued messages to the verifier for up to 100 ms, then lets
// the worker take new messages; once the queue is empty it verifies what
// the verifier still holds.
function drain() {
  scheduled = false;
  const until = performance.now() + 100;
  while (queue.length && performance.now() < until && (!last || last.ok)) {
    const text = queue.shift();
    stats.messages++;
    let m = null;
    try { m = JSON.parse(text); } catch { /* the verifier says what is wrong */ }
    if (m && m.type === 'block' && m.block && Number.isSafeInteger(m.block.height)) {
      // Counted here only for the chart; a block counts once verified.
      if (!stats.firstBlockAt) stats.firstBlockAt = performance.now();
      const ballots = (m.block.txs || []).filter((t) => t.kind === 'ballot').length;
      pending.push([m.block.height, ballots]);
      nextFrom = m.block.height + 1;
    }
    last = call('message', text);
  }
  if (last && !last.ok) {
    // A failed verification stays failed: stop reading the feed.
    queue = [];
    if (socket) socket.close();
  } else if (queue.length) {
    scheduled = true;
    setTimeout(drain, 0);
  } else {
    last = call('flush');
  }
  stats.verifiedAt = performance.now();
  post();
}

self.onmessage = async (e) => {
  election = e.data.election;
  const genesis = e.data.genesis || '';
  try {
    const info = await load(e.data.integrity || '');
    last = call('start', election, genesis);
    postMessage({ type: 'loaded', sha256: info.sha256 });
  } catch (err) {
    postMessage({ type: 'unavailable', reason: String(err && err.message || err) });
    return;
  }
  connect();
};
