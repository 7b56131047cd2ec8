// Helpers shared by the pages that run a WebAssembly module in a worker
// (the voter's wallet and the officials' console): the DOM
// builder, the module's worker, IndexedDB, bytes, the error summary and
// the busy indicator. A classic script: it sets window.evoteUI, which the
// page's module reads, so that it loads under the page's integrity check
// like every other script.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);

  // el builds an element: props set attributes (class, for, lang, data-*,
  // aria-*, role) or properties (onclick, value, …); children are nodes or
  // text. No HTML is ever parsed from strings.
  function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-') || k.startsWith('aria-') || ['for', 'lang', 'role', 'tabindex', 'inputmode', 'autocomplete', 'spellcheck'].includes(k)) e.setAttribute(k, v === true ? 'true' : v);
      else e[k] = v;
    }
    for (const c of children.flat()) if (c != null && c !== false) e.append(c);
    return e;
  }

  // worker starts the worker of module (wallet, console), giving it the
  // module's SRI value from the page's meta tag evote-MODULE-integrity, and
  // returns call(op, args) → answer.
  function worker(module) {
    const integrity = document.querySelector(`meta[name="evote-${module}-integrity"]`)?.content || '';
    const w = new Worker(`/module-worker.js?module=${module}` + (integrity ? '&integrity=' + encodeURIComponent(integrity) : ''));
    let next = 1;
    const waiting = new Map();
    w.onmessage = (e) => { const f = waiting.get(e.data.id); waiting.delete(e.data.id); if (f) f(e.data.answer); };
    return (op, args) => new Promise((resolve) => { const id = next++; waiting.set(id, resolve); w.postMessage({ id, op, args }); });
  }

  // store opens an IndexedDB database of one key-value object store.
  function store(name) {
    let dbp = null;
    const db = () => (dbp ??= new Promise((resolve, reject) => {
      const r = indexedDB.open(name, 1);
      r.onupgradeneeded = () => r.result.createObjectStore('kv');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    }));
    const run = async (mode, fn) => {
      const d = await db();
      return new Promise((resolve, reject) => {
        const tx = d.transaction('kv', mode);
        const req = fn(tx.objectStore('kv'));
        tx.oncomplete = () => resolve(req && req.result);
        tx.onerror = () => reject(tx.error);
      });
    };
    return {
      get: (k) => run('readonly', (s) => s.get(k)),
      put: (k, v) => run('readwrite', (s) => s.put(v, k)),
      del: (k) => run('readwrite', (s) => s.delete(k)),
    };
  }

  function b64ToBytes(b64) { const s = atob(b64); const out = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i); return out; }
  function bytesToB64(bytes) { let s = ''; for (const b of bytes) s += String.fromCharCode(b); return btoa(s); }
  async function fileText(input) { const f = input.files && input.files[0]; return f ? f.text() : ''; }
  function setDownload(a, content, name, type) {
    if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([content], { type }));
    a.download = name;
  }

  // api fetches a path of the API of the page's node, or of node (an
  // origin) when given: {status, ok, body, raw}.
  async function api(path, opts, node = '') {
    const resp = await fetch(node + path, opts);
    const raw = await resp.text();
    let body;
    try { body = JSON.parse(raw); } catch { body = { error: raw }; }
    return { status: resp.status, ok: resp.ok, body, raw };
  }

  // problem fills the error summary (#problem, #problem-list): each item
  // {text, href} links to its field; the summary takes the focus.
  function problem(items) {
    const list = $('problem-list');
    list.replaceChildren(...items.map((it) => el('li', {}, it.href ? el('a', { href: it.href }, it.text) : it.text)));
    $('problem').hidden = items.length === 0;
    if (items.length) $('problem').focus();
  }
  function notice(text) { $('notice').hidden = !text; $('notice').textContent = text || ''; }

  // busy shows (text) or hides ('') the busy status with its progress
  // bar (value/max, or indeterminate without), and disables the buttons.
  function busy(text, value, max) {
    $('busy').hidden = !text;
    $('busy-text').textContent = text || '';
    const p = $('busy-progress');
    if (value == null) p.removeAttribute('value'); else { p.max = max; p.value = value; }
    for (const b of document.querySelectorAll('main button')) b.disabled = !!text;
  }

  // pickLang: the saved choice, else the browser's first supported.
  function pickLang(supported) {
    const saved = localStorage.getItem('evote-lang');
    const wanted = [saved, ...(navigator.languages || []).map((l) => l.slice(0, 2))];
    return wanted.find((l) => l && supported[l]) || 'en';
  }

  window.evoteUI = { $, el, worker, store, b64ToBytes, bytesToB64, fileText, setDownload, api, problem, notice, busy, pickLang };
})();
