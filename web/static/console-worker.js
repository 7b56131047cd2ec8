// The officials' console's worker: it loads the console module
// (internal/consolebridge compiled to WebAssembly, web/wasm/console) and
// runs the page's calls in it, off the page's thread: deriving a key from
// a passphrase (Argon2id) takes seconds. The page posts {id, op, args};
// the worker answers {id, answer}, answer being the module's JSON answer
// plus ms, the time the call took. The worker makes no request but the
// module's download: the authority key and the passphrase never leave the
// browser.
'use strict';
importScripts('/wasm/wasm_exec.js');

const ready = (async () => {
  // The page passes the module's SRI value in the worker's address.
  const integrity = new URL(self.location.href).searchParams.get('integrity') || '';
  const resp = await fetch('/wasm/console.wasm', integrity ? { integrity } : {});
  if (!resp.ok) throw new Error((await resp.text()).trim() || ('HTTP ' + resp.status));
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(resp, go.importObject);
  go.run(instance); // runs main until it waits; evoteConsole is set by then
  if (!self.evoteConsole) throw new Error('the console module did not start');
  return (resp.headers.get('ETag') || '').replaceAll('"', '');
})();

onmessage = async (e) => {
  const { id, op, args } = e.data;
  let answer;
  try {
    const sha256 = await ready;
    if (op === 'ready') {
      answer = { ok: true, sha256 };
    } else {
      const t0 = performance.now();
      answer = JSON.parse(self.evoteConsole.call(op, JSON.stringify(args || {})));
      answer.ms = performance.now() - t0;
    }
  } catch (err) {
    answer = { ok: false, error: 'unavailable', message: String(err && err.message || err) };
  }
  postMessage({ id, answer });
};
