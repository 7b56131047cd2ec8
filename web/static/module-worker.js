// The worker of the pages that run a WebAssembly module (the wallet's,
// web/wasm/wallet, and the officials' console's, web/wasm/console): it
// loads the module its address names and runs the page's calls in it, off
// the page's thread: deriving a key from a passphrase (Argon2id) and
// encrypting and proving a ballot take seconds. The page posts {id, op,
// args}; the worker answers {id, answer}, answer being the module's JSON
// answer plus ms, the time the call took. The worker makes no request but
// the module's download: keys, seeds and passphrases never leave the
// browser.
'use strict';
importScripts('/wasm/wasm_exec.js');

// The modules, by the name the page gives, and the global object each sets.
const MODULES = { wallet: 'evoteWallet', console: 'evoteConsole' };

const ready = (async () => {
  // The page passes the module's name and its SRI value in the worker's
  // address.
  const params = new URL(self.location.href).searchParams;
  const name = params.get('module') || '';
  const global = MODULES[name];
  if (!global) throw new Error(`no module ${JSON.stringify(name)}`);
  const integrity = params.get('integrity') || '';
  const resp = await fetch(`/wasm/${name}.wasm`, integrity ? { integrity } : {});
  if (!resp.ok) throw new Error((await resp.text()).trim() || ('HTTP ' + resp.status));
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(resp, go.importObject);
  go.run(instance); // runs main until it waits; the module's global is set by then
  if (!self[global]) throw new Error(`the ${name} module did not start`);
  return { module: self[global], sha256: (resp.headers.get('ETag') || '').replaceAll('"', '') };
})();

onmessage = async (e) => {
  const { id, op, args } = e.data;
  let answer;
  try {
    const { module, sha256 } = await ready;
    if (op === 'ready') {
      answer = { ok: true, sha256 };
    } else {
      const t0 = performance.now();
      answer = JSON.parse(module.call(op, JSON.stringify(args || {})));
      answer.ms = performance.now() - t0;
    }
  } catch (err) {
    answer = { ok: false, error: 'unavailable', message: String(err && err.message || err) };
  }
  postMessage({ id, answer });
};
