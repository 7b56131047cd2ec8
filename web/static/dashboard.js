// The election dashboard (/elections/{id}). Two sources, kept apart on the
// page: what this browser verified itself (the worker running the Go
// verifier over the node's feed: verifier-worker.js), and what the node
// reports through its JSON API, shown as such. Nothing the API says feeds
// the "verified" section.

// Any breach of the content security policy is kept for the tests to see.
document.addEventListener('securitypolicyviolation', (e) => {
  (window.evoteCSPViolations ||= []).push(e.violatedDirective + ' ' + e.blockedURI);
});

const UI = {
  en: {
    home: 'Polling node', language: 'Language', verification: 'Checked by this browser',
    verifyLoading: 'Loading the verifier…', verifiedHeight: 'Verified up to block', verifiedBallots: 'Ballots verified',
    verifiedVoters: 'Voters with a ballot', verifiedPhase: 'Phase', stateCommitment: 'State commitment',
    genesisLabel: 'Chain and genesis', genesisPinned: '(the one in this page’s address)', genesisCompare: '(compare with the fingerprint the election’s organisers publish)',
    speed: 'Verification speed', turnoutChart: 'Ballots verified, by block', reported: 'Reported by the node',
    reportedNote: 'This browser has not checked what follows: the node says so.', phase: 'Phase', turnout: 'Turnout',
    ballots: 'Ballots', electionID: 'Election id', schedule: 'Schedule', ceremony: 'Key ceremony', result: 'Result',
    noResult: 'Not decrypted yet.',
    verifiedUpTo: (h) => `Verified by this browser up to block ${h}.`,
    stoppedAtStart: 'Verification stopped before the first block: the node sent data that does not verify.',
    stopped: (h) => `Verification stopped after block ${h}: the node sent data that does not verify.`,
    waitingFeed: 'Connecting to the node’s feed…', disconnected: 'The feed is disconnected; reconnecting…',
    catchingUp: (h, n) => `Catching up: block ${h} of ${n}`,
    catchingUpHead: 'Checking the chain from its first block…',
    failedHead: 'This node’s data failed verification. Do not trust what it shows.',
    failedItem: (item, code, err) => `The failing item: ${item}${code ? ` (${code})` : ''}: ${err}`,
    unavailable: (r) => `This browser cannot verify this election: ${r}`,
    noElection: 'This node knows no election with this id.', nodeUnreachable: (e) => `The node is unreachable: ${e}`,
    rate: (n, s, r) => `${n} ballots in ${s} s of verifying (${r} ballots/s)`,
    turnoutSummary: (b, h) => `${b} ballots verified up to block ${h}.`, turnoutNone: 'No ballot verified yet.',
    of: (a, b) => `${a} of ${b}`, dealsBy: 'Deals due by', complaintWindow: 'Complaint window',
    responseWindow: 'Response window', opens: 'Opens', closes: 'Closes', byOfficials: 'when the officials decide',
    entered: (p) => `Entered ${p}`, atBlock: (h, t) => `block ${h}, ${t}`, trustee: 'Trustee', dealt: 'Deal',
    complaints: 'Complaints', qualified: 'Qualified', shares: 'Decrypted', yes: 'yes', no: 'no',
    ceremonySummary: (d, n, t) => `${d} of ${n} trustees have dealt; any ${t} of them can decrypt.`,
    option: 'Option', votes: 'Votes', share: 'Share', resultNote: (v) => `${v} voters. Reported by the node.`,
    resultVerified: 'Verified by this browser: these totals follow from the trustees’ decryption shares it checked.',
    resultMatches: 'The node reports the same totals.', resultDiffers: 'The node reports other totals: do not trust the node.',
    phases: { 'dkg-deals': 'key ceremony: deals', 'dkg-complaints': 'key ceremony: complaints',
      'dkg-responses': 'key ceremony: responses', ready: 'ready to open', open: 'open for voting', closed: 'closed, decrypting',
      tallied: 'result decrypted', failed: 'key ceremony failed', unknown: 'not known yet' },
  },
  fr: {
    home: 'Nœud de vote', language: 'Langue', verification: 'Vérifié par ce navigateur',
    verifyLoading: 'Chargement du vérificateur…', verifiedHeight: 'Vérifié jusqu’au bloc', verifiedBallots: 'Bulletins vérifiés',
    verifiedVoters: 'Votants ayant voté', verifiedPhase: 'Phase', stateCommitment: 'Engagement d’état',
    genesisLabel: 'Chaîne et genèse', genesisPinned: '(celle de l’adresse de cette page)', genesisCompare: '(à comparer avec l’empreinte publiée par les organisateurs du scrutin)',
    speed: 'Vitesse de vérification', turnoutChart: 'Bulletins vérifiés, par bloc', reported: 'Annoncé par le nœud',
    reportedNote: 'Ce navigateur n’a pas vérifié ce qui suit : le nœud l’affirme.', phase: 'Phase', turnout: 'Participation',
    ballots: 'Bulletins', electionID: 'Identifiant du scrutin', schedule: 'Calendrier', ceremony: 'Cérémonie des clés', result: 'Résultat',
    noResult: 'Pas encore déchiffré.',
    verifiedUpTo: (h) => `Vérifié par ce navigateur jusqu’au bloc ${h}.`,
    stoppedAtStart: 'Vérification arrêtée avant le premier bloc : le nœud a envoyé des données qui ne se vérifient pas.',
    stopped: (h) => `Vérification arrêtée après le bloc ${h} : le nœud a envoyé des données qui ne se vérifient pas.`,
    waitingFeed: 'Connexion au flux du nœud…', disconnected: 'Le flux est coupé ; reconnexion…',
    catchingUp: (h, n) => `Rattrapage : bloc ${h} sur ${n}`,
    catchingUpHead: 'Vérification de la chaîne depuis son premier bloc…',
    failedHead: 'Les données de ce nœud ne se vérifient pas. Ne vous fiez pas à ce qu’il affiche.',
    failedItem: (item, code, err) => `L’élément en faute : ${item}${code ? ` (${code})` : ''} : ${err}`,
    unavailable: (r) => `Ce navigateur ne peut pas vérifier ce scrutin : ${r}`,
    noElection: 'Ce nœud ne connaît aucun scrutin de cet identifiant.', nodeUnreachable: (e) => `Le nœud est injoignable : ${e}`,
    rate: (n, s, r) => `${n} bulletins en ${s} s de vérification (${r} bulletins/s)`,
    turnoutSummary: (b, h) => `${b} bulletins vérifiés jusqu’au bloc ${h}.`, turnoutNone: 'Aucun bulletin vérifié pour l’instant.',
    of: (a, b) => `${a} sur ${b}`, dealsBy: 'Partages dus avant', complaintWindow: 'Délai de plainte',
    responseWindow: 'Délai de réponse', opens: 'Ouverture', closes: 'Clôture', byOfficials: 'sur décision des organisateurs',
    entered: (p) => `Entrée en phase ${p}`, atBlock: (h, t) => `bloc ${h}, ${t}`, trustee: 'Garant', dealt: 'Partage',
    complaints: 'Plaintes', qualified: 'Qualifié', shares: 'Déchiffré', yes: 'oui', no: 'non',
    ceremonySummary: (d, n, t) => `${d} garants sur ${n} ont partagé ; ${t} d’entre eux suffisent pour déchiffrer.`,
    option: 'Option', votes: 'Voix', share: 'Part', resultNote: (v) => `${v} votants. Annoncé par le nœud.`,
    resultVerified: 'Vérifié par ce navigateur : ces totaux découlent des parts de déchiffrement des gardiens qu’il a vérifiées.',
    resultMatches: 'Le nœud annonce les mêmes totaux.', resultDiffers: 'Le nœud annonce d’autres totaux : ne lui faites pas confiance.',
    phases: { 'dkg-deals': 'cérémonie des clés : partages', 'dkg-complaints': 'cérémonie des clés : plaintes',
      'dkg-responses': 'cérémonie des clés : réponses', ready: 'prêt à ouvrir', open: 'ouvert au vote', closed: 'clos, déchiffrement',
      tallied: 'résultat déchiffré', failed: 'cérémonie des clés échouée', unknown: 'pas encore connue' },
  },
  de: {
    home: 'Wahlknoten', language: 'Sprache', verification: 'Von diesem Browser geprüft',
    verifyLoading: 'Prüfprogramm wird geladen…', verifiedHeight: 'Geprüft bis Block', verifiedBallots: 'Geprüfte Stimmzettel',
    verifiedVoters: 'Wählende mit Stimmzettel', verifiedPhase: 'Phase', stateCommitment: 'Zustands-Commitment',
    genesisLabel: 'Kette und Genesis', genesisPinned: '(die in der Adresse dieser Seite)', genesisCompare: '(mit dem von den Veranstaltern veröffentlichten Fingerabdruck vergleichen)',
    speed: 'Prüfgeschwindigkeit', turnoutChart: 'Geprüfte Stimmzettel je Block', reported: 'Vom Knoten gemeldet',
    reportedNote: 'Dieser Browser hat das Folgende nicht geprüft: der Knoten gibt es an.', phase: 'Phase', turnout: 'Wahlbeteiligung',
    ballots: 'Stimmzettel', electionID: 'Wahl-ID', schedule: 'Zeitplan', ceremony: 'Schlüsselzeremonie', result: 'Ergebnis',
    noResult: 'Noch nicht entschlüsselt.',
    verifiedUpTo: (h) => `Von diesem Browser geprüft bis Block ${h}.`,
    stoppedAtStart: 'Prüfung vor dem ersten Block abgebrochen: der Knoten hat Daten gesendet, die die Prüfung nicht bestehen.',
    stopped: (h) => `Prüfung nach Block ${h} abgebrochen: der Knoten hat Daten gesendet, die die Prüfung nicht bestehen.`,
    waitingFeed: 'Verbindung zum Feed des Knotens…', disconnected: 'Der Feed ist getrennt; neue Verbindung…',
    catchingUp: (h, n) => `Aufholen: Block ${h} von ${n}`,
    catchingUpHead: 'Die Kette wird ab ihrem ersten Block geprüft…',
    failedHead: 'Die Daten dieses Knotens bestehen die Prüfung nicht. Vertrauen Sie seiner Anzeige nicht.',
    failedItem: (item, code, err) => `Fehlerhaftes Element: ${item}${code ? ` (${code})` : ''}: ${err}`,
    unavailable: (r) => `Dieser Browser kann diese Wahl nicht prüfen: ${r}`,
    noElection: 'Dieser Knoten kennt keine Wahl mit dieser ID.', nodeUnreachable: (e) => `Der Knoten ist nicht erreichbar: ${e}`,
    rate: (n, s, r) => `${n} Stimmzettel in ${s} s Prüfzeit (${r} Stimmzettel/s)`,
    turnoutSummary: (b, h) => `${b} Stimmzettel geprüft bis Block ${h}.`, turnoutNone: 'Noch kein Stimmzettel geprüft.',
    of: (a, b) => `${a} von ${b}`, dealsBy: 'Anteile fällig bis', complaintWindow: 'Beschwerdefrist',
    responseWindow: 'Antwortfrist', opens: 'Öffnet', closes: 'Schließt', byOfficials: 'nach Entscheidung der Wahlleitung',
    entered: (p) => `Phase ${p} begonnen`, atBlock: (h, t) => `Block ${h}, ${t}`, trustee: 'Treuhänder', dealt: 'Anteil',
    complaints: 'Beschwerden', qualified: 'Qualifiziert', shares: 'Entschlüsselt', yes: 'ja', no: 'nein',
    ceremonySummary: (d, n, t) => `${d} von ${n} Treuhändern haben geteilt; je ${t} von ihnen können entschlüsseln.`,
    option: 'Option', votes: 'Stimmen', share: 'Anteil', resultNote: (v) => `${v} Wählende. Vom Knoten gemeldet.`,
    resultVerified: 'Von diesem Browser geprüft: Diese Summen folgen aus den geprüften Entschlüsselungsanteilen der Treuhänder.',
    resultMatches: 'Der Knoten meldet dieselben Summen.', resultDiffers: 'Der Knoten meldet andere Summen: Vertrauen Sie ihm nicht.',
    phases: { 'dkg-deals': 'Schlüsselzeremonie: Anteile', 'dkg-complaints': 'Schlüsselzeremonie: Beschwerden',
      'dkg-responses': 'Schlüsselzeremonie: Antworten', ready: 'bereit zur Öffnung', open: 'zur Stimmabgabe geöffnet',
      closed: 'geschlossen, Entschlüsselung', tallied: 'Ergebnis entschlüsselt', failed: 'Schlüsselzeremonie gescheitert',
      unknown: 'noch nicht bekannt' },
  },
};

const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');

const state = {
  lang: 'en', detail: null, result: null, apiError: '',
  verifier: null, unavailable: '', connected: false, blocks: [], stats: null, target: 0, sha256: '',
};

// t is the page's own text in the chosen language (English where the page
// has no translation).
function t(key, ...args) {
  const v = (UI[state.lang] || UI.en)[key] ?? UI.en[key];
  return typeof v === 'function' ? v(...args) : v;
}
// text is a manifest text in the chosen language, or its first language.
function text(tx) {
  if (!tx) return '';
  const langs = state.detail?.manifest?.languages || [];
  return tx[state.lang] ?? tx[langs[0]] ?? Object.values(tx)[0] ?? '';
}
function phaseName(p) { return (UI[state.lang] || UI.en).phases[p] || p; }
function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v; // through the CSSOM: the policy allows no inline style attribute
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : String(k));
  return e;
}
function when(iso) {
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString(state.lang, { dateStyle: 'medium', timeStyle: 'short' });
}

// --- language -----------------------------------------------------------

function chooseLanguage() {
  const langs = state.detail?.manifest?.languages || ['en'];
  const saved = localStorage.getItem('evote-lang');
  const wanted = [saved, ...(navigator.languages || []).map((l) => l.slice(0, 2))];
  state.lang = wanted.find((l) => l && langs.includes(l)) || langs[0];
  const sw = $('lang-switch');
  const sel = $('lang');
  if (langs.length > 1) {
    const names = new Intl.DisplayNames([state.lang], { type: 'language' });
    sel.replaceChildren(...langs.map((l) => {
      const o = el('option', { value: l, lang: l }, new Intl.DisplayNames([l], { type: 'language' }).of(l) || names.of(l) || l);
      if (l === state.lang) o.selected = true;
      return o;
    }));
    sw.hidden = false;
  }
}
$('lang').addEventListener('change', (e) => {
  state.lang = e.target.value;
  localStorage.setItem('evote-lang', state.lang);
  render();
});

// --- the verifier (worker) ----------------------------------------------

function startWorker() {
  const w = new Worker('/verifier-worker.js');
  w.onmessage = (e) => {
    const m = e.data;
    if (m.type === 'unavailable') state.unavailable = m.reason;
    if (m.type === 'loaded') state.sha256 = m.sha256;
    if (m.type === 'status') {
      state.verifier = m.status;
      state.connected = m.connected;
      state.stats = m.stats;
      state.blocks.push(...m.blocks);
    }
    renderVerification();
  };
  w.onerror = (e) => { state.unavailable = e.message || 'the worker failed'; renderVerification(); };
  // ?genesis=FINGERPRINT pins the chain: the verifier refuses any other.
  const genesis = new URLSearchParams(location.search).get('genesis') || '';
  // The module's SRI value, which the node put in the page: the worker's
  // fetch refuses a module changed on the way.
  const integrity = document.querySelector('meta[name="evote-verifier-integrity"]')?.content || '';
  w.postMessage({ election: id, genesis, integrity });
}

function renderVerification() {
  const v = state.verifier;
  const status = $('verify-status');
  const failure = $('verify-failure');
  const f = v?.follow;
  let headline;
  let cls = 'pending';
  if (state.unavailable) {
    headline = t('unavailable', state.unavailable);
  } else if (!v) {
    headline = t('verifyLoading');
  } else if (!v.ok) {
    headline = f ? t('stopped', f.height) : t('stoppedAtStart');
    cls = 'failed';
  } else if (!f) {
    headline = state.connected ? t('waitingFeed') : t('waitingFeed');
  } else if (state.target > 0 && f.height < state.target) {
    // Catching up: the progress bar says how far; the live region is not
    // told of every block.
    headline = t('catchingUpHead');
  } else {
    headline = t('verifiedUpTo', f.height);
    cls = state.connected ? 'ok' : 'pending';
  }
  status.className = 'status ' + cls;
  status.dataset.state = state.unavailable ? 'unavailable' : (!v ? 'loading' : (v.ok ? (f ? 'verified' : 'waiting') : 'failed'));
  status.dataset.height = f ? String(f.height) : '0';
  status.dataset.ballots = f ? String(f.ballots) : '0';
  const lines = [headline];
  if (v && v.ok && f && !state.connected) lines.push(t('disconnected'));
  // Rewritten only when the words change, so that assistive technology
  // announces changes, not every repaint.
  if (status.dataset.text !== lines.join('\n')) {
    status.dataset.text = lines.join('\n');
    status.replaceChildren(...lines.map((l, i) => el('p', i === 0 ? { id: 'verify-headline' } : {}, l)));
  }

  if (v && !v.ok && v.failure) {
    failure.replaceChildren(el('p', {}, t('failedHead')),
      el('p', { id: 'failure-item' }, t('failedItem', v.failure.item, v.failure.code, v.failure.error)));
    failure.dataset.item = v.failure.item;
    failure.dataset.code = v.failure.code || '';
    failure.hidden = false;
  } else {
    failure.hidden = true;
  }

  // Catch-up progress: towards the height the node reported when the page
  // opened (only a goal for the bar; nothing is taken from it).
  const cu = $('catchup');
  if (f && v.ok && state.target > 0 && f.height < state.target) {
    $('catchup-label').textContent = t('catchingUp', f.height, state.target);
    $('catchup-progress').max = state.target;
    $('catchup-progress').value = f.height;
    cu.hidden = false;
  } else {
    cu.hidden = true;
  }

  const facts = $('verified');
  if (f) {
    facts.hidden = false;
    $('v-height').textContent = f.height;
    $('v-ballots').textContent = f.ballots;
    $('v-voters').textContent = f.voters;
    $('v-phase').textContent = phaseName(f.phase);
    $('v-state').textContent = f.state || '—';
    $('v-genesis').textContent = (v.chain_id || '') + ' · ' + (v.genesis || '—');
    $('v-genesis-note').textContent = v.pinned ? t('genesisPinned') : t('genesisCompare');
    const s = state.stats;
    if (s && s.busyMs > 0 && f.ballots > 0) {
      // The verifier's own time: waiting for the next ballot does not count.
      const secs = s.busyMs / 1000;
      $('v-speed').textContent = t('rate', f.ballots, secs.toFixed(2), Math.round(f.ballots / secs));
    } else {
      $('v-speed').textContent = '—';
    }
  }
  renderChart();
  renderResult(state.detail);
}

// renderChart draws the verified ballots per block (bars) and their running
// total (line) over block height.
function renderChart() {
  const svg = $('turnout-chart');
  const W = 320, H = 140, pad = 4;
  const blocks = state.blocks;
  const ns = 'http://www.w3.org/2000/svg';
  const kids = [];
  let total = 0;
  const cum = blocks.map(([h, b]) => [h, (total += b)]);
  const f = state.verifier?.follow;
  $('turnout-summary').textContent = f && total > 0 ? t('turnoutSummary', total, f.height) : t('turnoutNone');
  if (blocks.length > 0) {
    const h0 = blocks[0][0], h1 = Math.max(blocks[blocks.length - 1][0], h0 + 1);
    const maxB = Math.max(1, ...blocks.map(([, b]) => b));
    const x = (h) => pad + (W - 2 * pad) * (h - h0) / (h1 - h0);
    const bw = Math.max(1, (W - 2 * pad) / Math.max(1, h1 - h0 + 1));
    for (const [h, b] of blocks) {
      if (b === 0) continue;
      const r = document.createElementNS(ns, 'rect');
      const bh = (H / 2 - pad) * b / maxB;
      r.setAttribute('x', x(h) - bw / 2); r.setAttribute('width', bw);
      r.setAttribute('y', H - pad - bh); r.setAttribute('height', bh);
      r.setAttribute('fill', '#7aa7e8');
      kids.push(r);
    }
    const maxC = Math.max(1, total);
    const pts = cum.map(([h, c]) => `${x(h).toFixed(1)},${(H - pad - (H - 2 * pad) * c / maxC).toFixed(1)}`);
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#0a4a9e'); line.setAttribute('stroke-width', '2');
    line.setAttribute('vector-effect', 'non-scaling-stroke');
    kids.push(line);
  }
  svg.replaceChildren(...kids);
}

// --- what the node reports ----------------------------------------------

async function getJSON(path) {
  const r = await fetch(path, { cache: 'no-store' });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

async function refresh() {
  try {
    const d = await getJSON('/api/v1/elections/' + encodeURIComponent(id));
    const first = !state.detail;
    state.detail = d;
    state.apiError = d ? '' : t('noElection');
    if (d && first) chooseLanguage();
    if (d && d.phase === 'tallied' && !state.result) {
      state.result = await getJSON('/api/v1/elections/' + encodeURIComponent(id) + '/result');
    }
  } catch (err) {
    state.apiError = t('nodeUnreachable', err.message || err);
  }
  render();
}

function render() {
  document.documentElement.lang = state.lang;
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  const d = state.detail;
  const err = $('api-error');
  err.hidden = !state.apiError;
  err.textContent = state.apiError;
  if (d) {
    const m = d.manifest;
    $('title').textContent = text(m.title);
    document.title = text(m.title) + ' – evote';
    $('description').textContent = text(m.description);
    $('r-phase').textContent = phaseName(d.phase) + (d.failure ? ` (${d.failure})` : '');
    $('r-turnout').textContent = t('of', d.counts.voters, d.counts.roll_size);
    $('r-ballots').textContent = d.counts.ballots;
    $('r-id').textContent = d.id;
    renderSchedule(d);
    renderCeremony(d);
    renderResult(d);
  }
  renderVerification();
}

function renderSchedule(d) {
  const s = d.manifest.schedule || {};
  const rows = [
    [t('dealsBy'), s.dkg_deals_by ? when(s.dkg_deals_by) : '—'],
    [t('complaintWindow'), s.dkg_complaint_window || '—'],
    [t('responseWindow'), s.dkg_response_window || '—'],
    [t('opens'), s.open ? when(s.open) : t('byOfficials')],
    [t('closes'), s.close ? when(s.close) : t('byOfficials')],
    ...(d.phases || []).map((p) => [t('entered', phaseName(p.phase)), t('atBlock', p.height, when(p.time))]),
  ];
  $('schedule').tBodies[0].replaceChildren(...rows.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, v))));
}

function renderCeremony(d) {
  const tr = d.trustees || [];
  const yes = (b) => (b ? t('yes') : t('no'));
  $('ceremony-summary').textContent = t('ceremonySummary', tr.filter((x) => x.dealt).length, tr.length, d.manifest.trustees.threshold);
  $('trustees').tHead.replaceChildren(el('tr', {}, ...[t('trustee'), t('dealt'), t('complaints'), t('qualified'), t('shares')].map((h) => el('th', { scope: 'col' }, h))));
  $('trustees').tBodies[0].replaceChildren(...tr.map((x) => el('tr', {},
    el('th', { scope: 'row' }, x.name), el('td', {}, yes(x.dealt)), el('td', {}, yes(x.complaints_posted)),
    el('td', {}, yes(x.qualified)), el('td', {}, yes(x.shares_posted)))));
}

// renderResult shows each contest's totals as a table whose rows carry a
// bar: the chart and its text alternative in one.
function renderResult(d) {
  const res = state.result;
  const box = $('result');
  // The result this browser verified, if any, comes first: its totals are
  // the ones shown, and the node's are compared with them.
  const v = state.verifier;
  const vres = v && v.ok && v.follow && v.follow.result;
  if (!d || (!res && !vres)) {
    box.replaceChildren(el('p', {}, t('noResult')));
    box.dataset.verified = 'false';
    return;
  }
  let contests;
  const out = [];
  if (vres) {
    contests = vres.totals.map((totals, index) => ({ index, totals }));
    out.push(el('p', { class: 'verified-note' }, t('resultVerified')));
    if (res) {
      const same = JSON.stringify(res.contests.map((c) => c.totals)) === JSON.stringify(vres.totals);
      out.push(same ? el('p', { class: 'muted', id: 'result-compare' }, t('resultMatches'))
        : el('p', { class: 'status failed', role: 'alert', id: 'result-compare' }, t('resultDiffers')));
    }
  } else {
    contests = res.contests;
    out.push(el('p', { class: 'muted' }, t('resultNote', res.voters)));
  }
  box.dataset.verified = vres ? 'true' : 'false';
  for (const c of contests) {
    const contest = d.manifest.contests[c.index];
    const sum = c.totals.reduce((a, b) => a + b, 0);
    const max = Math.max(1, ...c.totals);
    const rows = c.totals.map((n, i) => el('tr', {},
      el('th', { scope: 'row' }, text(contest.options[i])),
      el('td', { class: 'num' }, n),
      el('td', { class: 'num' }, sum ? (100 * n / sum).toFixed(1) + ' %' : '—'),
      el('td', { class: 'bar-cell', 'aria-hidden': 'true' }, el('span', { class: 'bar', style: `width:${(100 * n / max).toFixed(1)}%` }))));
    out.push(el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': text(contest.title) }, el('table', { class: 'result', 'data-contest': c.index },
      el('caption', {}, text(contest.title)),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('option')), el('th', { scope: 'col', class: 'num' }, t('votes')),
        el('th', { scope: 'col', class: 'num' }, t('share')), el('td', { 'aria-hidden': 'true' }))),
      el('tbody', {}, ...rows))));
  }
  box.replaceChildren(...out);
}

async function main() {
  if (!/^[0-9a-f]{64}$/.test(id)) {
    state.apiError = t('noElection');
    render();
    return;
  }
  try {
    const s = await getJSON('/api/v1/status');
    state.target = s ? s.height : 0;
  } catch { /* the bar only needs a goal */ }
  startWorker();
  await refresh();
  setInterval(refresh, 2000);
}

window.evoteDashboard = state; // for the tests and the benchmark
main();
