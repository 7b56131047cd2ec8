// The node's status page (/): the chain and its elections, read from the
// JSON API every two seconds. No inline script: the pages' content security
// policy allows none.
'use strict';
document.addEventListener('securitypolicyviolation', (e) => {
  (window.evoteCSPViolations ||= []).push(e.violatedDirective + ' ' + e.blockedURI);
});
function row(cells) { const tr = document.createElement('tr'); for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.appendChild(td); } return tr; }
function title(t) { return t ? (t.en || Object.values(t)[0] || '') : ''; }
// The "Try it" steps link the node's only election's page (kept as it is
// while it is the same, so that a focused link keeps its focus).
function tryElection(list) {
  const span = document.getElementById('try-election');
  if (!span) return;
  if (list.length !== 1) {
    if (span.firstElementChild) span.textContent = 'the election’s page from the list below';
    return;
  }
  const href = '/elections/' + list[0].id, old = span.firstElementChild;
  if (old && old.getAttribute('href') === href) return;
  const a = document.createElement('a'); a.href = href;
  a.textContent = 'the election’s page (' + (title(list[0].title) || list[0].id) + ')';
  span.replaceChildren(a);
}
async function refresh() {
  try {
    const s = await (await fetch('/api/v1/status')).json();
    const chain = document.getElementById('chain'); chain.replaceChildren(
      row(['chain id', s.chain_id]), row(['height', String(s.height)]), row(['app hash', s.app_hash]),
      row(['validators', String(s.validators.length)]));
    const e = await (await fetch('/api/v1/elections')).json();
    const t = document.getElementById('elections');
    t.replaceChildren(row(['title', 'phase', 'roll', 'voters', 'id']));
    for (const x of e.elections) {
      const r = row(['', x.phase, String(x.roll_size), String(x.voters), x.id]);
      const a = document.createElement('a'); a.href = '/elections/' + x.id; a.textContent = title(x.title);
      r.firstChild.appendChild(a); t.appendChild(r);
    }
    if (e.elections.length === 0) t.appendChild(row(['no elections yet']));
    tryElection(e.elections);
  } catch (err) { document.getElementById('chain').replaceChildren(row(['node unreachable: ' + err])); }
}
refresh(); setInterval(refresh, 2000);
