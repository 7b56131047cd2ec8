// The officials' console (/console): the election authority's work in the
// browser. The authority key is imported from its text (the key file of
// `evote up`), sealed under a passphrase in IndexedDB (docs/spec/keystore.md,
// "Authority keystore") and used only in the worker (module-worker.js,
// internal/consolebridge compiled to WebAssembly), which checks the create
// form and roll files and signs the transactions. This page talks to the
// node's JSON API with public data only: the elections, the roll, and the
// signed transactions.

const { $, el, worker, store, b64ToBytes, bytesToB64, fileText, setDownload, api, problem, notice, busy, pickLang } = window.evoteUI;

const UI = {
  en: {
    home: 'Polling node', title: 'Officials’ console', language: 'Language', problem: 'There is a problem', loading: 'Loading the console…',
    setupTitle: 'Import the authority key',
    setupIntro: 'The election authority key signs the officials’ transactions. It stays in this browser, sealed under a passphrase; it is never sent to the node.',
    keyText: 'The key’s text (ed25519-secret:…, from HOME/keys/authority.key)', keyFile: 'or the key file',
    passphrase: 'Passphrase', passphraseAgain: 'Passphrase again', importKey: 'Import and seal the key',
    unlockTitle: 'Unlock the console', unlock: 'Unlock', forget: 'Forget the key in this browser',
    electionsTitle: 'Elections on this node', signingAs: 'Signing as', newElection: 'Create an election', refresh: 'Refresh the list', lock: 'Lock the console',
    createTitle: 'Create an election', yamlFile: 'Fill the form from a manifest file (YAML, as evote election create reads)', yamlLoad: 'Read the file',
    addContest: 'Add a contest', previewTitle: 'The manifest (YAML)', yamlDownload: 'Download the manifest', createSubmit: 'Sign and create the election', cancel: 'Cancel',
    electionId: 'Election', phase: 'Phase', rollSize: 'Voter roll', turnout: 'Turnout', dashboardLink: 'The observer’s verifying page',
    stepsTitle: 'Open and close', open: 'Open the election', close: 'Close the election', notNow: 'Not now',
    ceremonyTitle: 'Trustees: key ceremony and decryption', trustee: 'Trustee', dealt: 'Dealt', complaints: 'Complaints filed', qualified: 'Qualified', shares: 'Decryption share', jointKey: 'Joint key',
    rollTitle: 'The voter roll', rollFile: 'A roll file: one voter key (evote-voter:…) per line, with a weight if the election has weights', rollText: 'or paste the keys',
    rollSend: 'Check and add to the roll', rollResume: 'Resume adding the roll', rollSearch: 'Search the roll (a voter key or part of one)', search: 'Search',
    resultTitle: 'Result', recordDownload: 'Download the election record', back: 'Back to the elections',
    // the form
    reference: 'Reference (tells otherwise equal elections apart)', languages: 'Languages (codes, separated by commas; the first is the default)',
    electionTitle: 'Title', description: 'Description (optional)', inLang: (x, l) => `${x} (${l})`,
    revoting: 'Voters may vote again (the last ballot counts)', weights: 'Voters have weights',
    schedule: 'Schedule (UTC, as 2030-03-01T12:00:00Z)', dealsBy: 'The trustees deal their key shares by', complaintWindow: 'Complaint round (a duration, as 24h)', responseWindow: 'Response round (a duration, as 24h)',
    openAt: 'Open by block time at (optional)', closeAt: 'Close by block time at (optional)',
    trustees: 'Trustees', trusteeLines: 'The lines each trustee’s evote trustee init printed, one after the other', threshold: 'Threshold: how many trustees together decrypt',
    contest: (i) => `Contest ${i}`, type: 'Type', types: { plurality: 'Plurality: one option', approval: 'Approval: several options', score: 'Score: points for each option', cumulative: 'Cumulative: points to share out' },
    contestTitle: 'Question', blank: 'A blank ballot is allowed in this contest', minSel: 'Minimum (options chosen, or points in all)', maxSel: 'Maximum (options chosen, or points in all)',
    maxPer: 'Points for one option at most', option: (j) => `Option ${j}`, addOption: 'Add an option', removeOption: (j) => `Remove option ${j}`, removeContest: (i) => `Remove contest ${i}`,
    numberHint: 'Leave empty for the default of evote election create.',
    previewOk: (id) => `The manifest is valid; the election will be ${id}.`, previewProblems: (n) => n === 1 ? 'The form has 1 mistake so far (shown when you sign).' : `The form has ${n} mistakes so far (shown when you sign).`,
    // messages
    passShort: 'The passphrase must have at least 8 characters.', passDiffer: 'The two passphrases differ.', needKey: 'Paste the key’s text or choose the key file.',
    deriving: 'Deriving the key from your passphrase (this takes a few seconds)…', sealing: 'Sealing the key under your passphrase…',
    imported: (a) => `The authority key ${a} is sealed in this browser.`, locked: 'The console is locked.', idleLocked: 'The console locked itself after five minutes without activity.', forgotten: 'The key is removed from this browser.',
    noElections: 'No election on this node yet.', manage: (x) => `Manage ${x}`,
    yamlNeed: 'Choose a manifest file.', yamlRead: 'The form is filled from the file. Check it, then sign.',
    signing: 'Signing and sending the transaction, waiting for its block…', created: (id) => `The election ${id} is created.`,
    confirmOpen: 'Open the election now? From its block on, voters can cast ballots. This cannot be undone: an open election can only be closed.',
    confirmClose: 'Close the election now? No ballot is accepted after its block and the roll is final. This cannot be undone; the trustees then decrypt the totals.',
    yesOpen: 'Yes, open it', yesClose: 'Yes, close it', opened: 'The election is open.', closed: 'The election is closed.',
    otherAuthority: (a) => `This election’s authority is ${a}, not this console’s key: the console cannot sign for it.`,
    phases: { 'dkg-deals': 'Key ceremony: the trustees deal', 'dkg-complaints': 'Key ceremony: complaints', 'dkg-responses': 'Key ceremony: responses', ready: 'Ready to open', open: 'Open for voting', closed: 'Closed: the trustees decrypt', tallied: 'Tallied', failed: 'Failed' },
    stepsNote: { 'dkg-deals': 'The election can be opened once the trustees’ key ceremony has fixed the joint key.', 'dkg-complaints': 'The election can be opened once the trustees’ key ceremony has fixed the joint key.', 'dkg-responses': 'The election can be opened once the trustees’ key ceremony has fixed the joint key.', ready: 'The joint key is fixed: the election can be opened.', open: 'Voters are casting ballots.', closed: 'The election is closed.', tallied: 'The election is over.', failed: 'The election failed.' },
    roundEnds: (d) => ` The round ends at ${d}.`,
    ceremonyDeals: (k, n) => `${k} of the ${n} trustees have dealt.`, ceremonyComplaints: (k) => `${k} complaint set(s) and answers so far.`,
    ceremonyDone: (q, n) => `${q} of the ${n} trustees are qualified; the joint key is fixed.`,
    sharesIn: (k, t) => `Decryption: ${k} share(s) in, ${t} needed${k < t ? `; ${t - k} more needed` : ''}.`, sharesNone: 'Decryption starts when the election is closed.',
    resultFrom: (ts) => `The result is derived from the shares of trustees ${ts.join(', ')}.`,
    notFixed: 'not fixed yet', yes: 'yes', no: 'no', excluded: (r) => `excluded (${r})`, about: (ds) => `about ${ds.join(', ')}`, noComplaint: 'none',
    turnoutOf: (v, n) => n ? `${v} of ${n} voters (${Math.round(1000 * v / n) / 10} %)` : `${v}`, rollOf: (n, w, weights) => weights ? `${n} voters, weight ${w}` : `${n} voters`,
    noResult: 'No result yet: the trustees decrypt the totals after the close.', votes: 'Votes', share: 'Share', optionCol: 'Option', chartOf: (c) => `Totals of ${c}`,
    rollReading: 'Reading the roll file…', rollChecking: 'Asking the node which voters are already on the roll…',
    rollBatch: (b, n, done, total) => `Batch ${b} of ${n}: ${done} of ${total} voters on the roll.`,
    rollDone: (added, skipped) => `${added} voter(s) added to the roll; ${skipped} already on it, skipped.`,
    rollStopped: (done, total) => `The roll upload stopped with ${done} of ${total} voters on the roll. Resume it (voters already on the roll are skipped).`,
    rollPending: (n) => `An earlier roll upload of ${n} voters did not finish: resume it.`,
    rollNeed: 'Choose a roll file or paste the keys.', lineProblem: (n, m) => `Line ${n}: ${m}`,
    searchNeed: 'Type a voter key or part of one.', onRoll: (k, w) => `${k} is on the roll (weight ${w}).`, notOnRoll: (k) => `${k} is not on the roll.`,
    found: (n, shown) => n === 0 ? 'No voter of the roll matches.' : `${n} voter(s) match${n > shown ? `; the first ${shown}` : ''}:`,
    nodeError: (m) => `The node answered with an error: ${m}`, rejected: (name, num) => `The chain refused the transaction: ${name} (code ${num}).`,
    pendingTx: 'The transaction was admitted but not committed in time; refresh in a moment.',
    unavailable: (m) => `The console cannot run in this browser: ${m}`, detail: 'Detail',
    errors: {
      passphrase: 'The passphrase is wrong, or the stored key was changed.', sealed: 'The stored key is damaged.', not_authority_keystore: 'The stored data is not an authority key.',
      invalid_key: 'This is not an authority key (ed25519-secret: and 64 hex digits).', wrong_role: 'This key is written for another role.',
      invalid_manifest: 'This breaks a rule of the manifest.', not_a_number: 'Type a whole number.', required: 'This is required.',
      blank_minimum: 'The minimum does not agree with the blank ballot choice.', trustee_lines: 'Paste the lines that evote trustee init printed.',
      duplicate_voter: 'This voter is listed twice.', invalid_weight: 'This weight is not allowed.', roll_file: 'This line is not a voter key with an optional weight.',
      too_long: 'This line is too long.', empty_roll: 'The file lists no voters.', other_authority: 'The file names another authority key: the console signs with its own.',
      locked: 'The console is locked.', limit: 'Too many voters at once.', unavailable: 'The console could not load.', failed: 'The operation failed.',
    },
  },
  fr: {
    home: 'Nœud de vote', title: 'Console des organisateurs', language: 'Langue', problem: 'Il y a un problème', loading: 'Chargement de la console…',
    setupTitle: 'Importer la clé de l’autorité',
    setupIntro: 'La clé de l’autorité électorale signe les transactions des organisateurs. Elle reste dans ce navigateur, scellée sous une phrase secrète ; elle n’est jamais envoyée au nœud.',
    keyText: 'Le texte de la clé (ed25519-secret:…, de HOME/keys/authority.key)', keyFile: 'ou le fichier de la clé',
    passphrase: 'Phrase secrète', passphraseAgain: 'Phrase secrète, à nouveau', importKey: 'Importer et sceller la clé',
    unlockTitle: 'Déverrouiller la console', unlock: 'Déverrouiller', forget: 'Oublier la clé dans ce navigateur',
    electionsTitle: 'Scrutins de ce nœud', signingAs: 'Signature avec', newElection: 'Créer un scrutin', refresh: 'Actualiser la liste', lock: 'Verrouiller la console',
    createTitle: 'Créer un scrutin', yamlFile: 'Remplir le formulaire depuis un fichier de manifeste (YAML, comme le lit evote election create)', yamlLoad: 'Lire le fichier',
    addContest: 'Ajouter une question', previewTitle: 'Le manifeste (YAML)', yamlDownload: 'Télécharger le manifeste', createSubmit: 'Signer et créer le scrutin', cancel: 'Annuler',
    electionId: 'Scrutin', phase: 'Phase', rollSize: 'Liste électorale', turnout: 'Participation', dashboardLink: 'La page de vérification des observateurs',
    stepsTitle: 'Ouvrir et fermer', open: 'Ouvrir le scrutin', close: 'Fermer le scrutin', notNow: 'Pas maintenant',
    ceremonyTitle: 'Dépositaires : cérémonie des clés et déchiffrement', trustee: 'Dépositaire', dealt: 'Parts distribuées', complaints: 'Plaintes déposées', qualified: 'Qualifié', shares: 'Part de déchiffrement', jointKey: 'Clé commune',
    rollTitle: 'La liste électorale', rollFile: 'Un fichier de liste : une clé de votant (evote-voter:…) par ligne, avec un poids si le scrutin a des poids', rollText: 'ou collez les clés',
    rollSend: 'Vérifier et ajouter à la liste', rollResume: 'Reprendre l’ajout de la liste', rollSearch: 'Chercher dans la liste (une clé de votant ou une partie)', search: 'Chercher',
    resultTitle: 'Résultat', recordDownload: 'Télécharger le registre du scrutin', back: 'Revenir aux scrutins',
    reference: 'Référence (distingue des scrutins par ailleurs identiques)', languages: 'Langues (codes séparés par des virgules ; la première est celle par défaut)',
    electionTitle: 'Titre', description: 'Description (facultative)', inLang: (x, l) => `${x} (${l})`,
    revoting: 'Les votants peuvent voter à nouveau (le dernier bulletin compte)', weights: 'Les votants ont des poids',
    schedule: 'Calendrier (UTC, comme 2030-03-01T12:00:00Z)', dealsBy: 'Les dépositaires distribuent leurs parts de clé avant', complaintWindow: 'Tour des plaintes (une durée, comme 24h)', responseWindow: 'Tour des réponses (une durée, comme 24h)',
    openAt: 'Ouverture à l’heure des blocs (facultative)', closeAt: 'Fermeture à l’heure des blocs (facultative)',
    trustees: 'Dépositaires', trusteeLines: 'Les lignes qu’a affichées evote trustee init pour chaque dépositaire, l’une après l’autre', threshold: 'Seuil : combien de dépositaires déchiffrent ensemble',
    contest: (i) => `Question ${i}`, type: 'Type', types: { plurality: 'Majoritaire : une option', approval: 'Par approbation : plusieurs options', score: 'Par notes : des points pour chaque option', cumulative: 'Cumulatif : des points à répartir' },
    contestTitle: 'Intitulé', blank: 'Un bulletin blanc est admis pour cette question', minSel: 'Minimum (options choisies, ou points au total)', maxSel: 'Maximum (options choisies, ou points au total)',
    maxPer: 'Points au plus pour une option', option: (j) => `Option ${j}`, addOption: 'Ajouter une option', removeOption: (j) => `Retirer l’option ${j}`, removeContest: (i) => `Retirer la question ${i}`,
    numberHint: 'Laissez vide pour la valeur par défaut d’evote election create.',
    previewOk: (id) => `Le manifeste est valide ; le scrutin sera ${id}.`, previewProblems: (n) => n === 1 ? 'Le formulaire a 1 erreur pour l’instant (montrée à la signature).' : `Le formulaire a ${n} erreurs pour l’instant (montrées à la signature).`,
    passShort: 'La phrase secrète doit compter au moins 8 caractères.', passDiffer: 'Les deux phrases secrètes diffèrent.', needKey: 'Collez le texte de la clé ou choisissez son fichier.',
    deriving: 'Dérivation de la clé depuis votre phrase secrète (quelques secondes)…', sealing: 'Scellement de la clé sous votre phrase secrète…',
    imported: (a) => `La clé de l’autorité ${a} est scellée dans ce navigateur.`, locked: 'La console est verrouillée.', idleLocked: 'La console s’est verrouillée après cinq minutes d’inactivité.', forgotten: 'La clé est retirée de ce navigateur.',
    noElections: 'Aucun scrutin sur ce nœud pour l’instant.', manage: (x) => `Gérer ${x}`,
    yamlNeed: 'Choisissez un fichier de manifeste.', yamlRead: 'Le formulaire est rempli depuis le fichier. Vérifiez-le, puis signez.',
    signing: 'Signature et envoi de la transaction, en attente de son bloc…', created: (id) => `Le scrutin ${id} est créé.`,
    confirmOpen: 'Ouvrir le scrutin maintenant ? À partir de son bloc, les votants peuvent déposer leurs bulletins. C’est irréversible : un scrutin ouvert ne peut qu’être fermé.',
    confirmClose: 'Fermer le scrutin maintenant ? Aucun bulletin n’est accepté après son bloc et la liste électorale est définitive. C’est irréversible ; les dépositaires déchiffrent ensuite les totaux.',
    yesOpen: 'Oui, l’ouvrir', yesClose: 'Oui, le fermer', opened: 'Le scrutin est ouvert.', closed: 'Le scrutin est fermé.',
    otherAuthority: (a) => `L’autorité de ce scrutin est ${a}, pas la clé de cette console : la console ne peut pas signer pour lui.`,
    phases: { 'dkg-deals': 'Cérémonie des clés : distribution', 'dkg-complaints': 'Cérémonie des clés : plaintes', 'dkg-responses': 'Cérémonie des clés : réponses', ready: 'Prêt à ouvrir', open: 'Ouvert au vote', closed: 'Fermé : les dépositaires déchiffrent', tallied: 'Dépouillé', failed: 'Échoué' },
    stepsNote: { 'dkg-deals': 'Le scrutin pourra être ouvert quand la cérémonie des clés aura fixé la clé commune.', 'dkg-complaints': 'Le scrutin pourra être ouvert quand la cérémonie des clés aura fixé la clé commune.', 'dkg-responses': 'Le scrutin pourra être ouvert quand la cérémonie des clés aura fixé la clé commune.', ready: 'La clé commune est fixée : le scrutin peut être ouvert.', open: 'Les votants déposent leurs bulletins.', closed: 'Le scrutin est fermé.', tallied: 'Le scrutin est terminé.', failed: 'Le scrutin a échoué.' },
    roundEnds: (d) => ` Le tour se termine à ${d}.`,
    ceremonyDeals: (k, n) => `${k} des ${n} dépositaires ont distribué leurs parts.`, ceremonyComplaints: (k) => `${k} ensemble(s) de plaintes et réponses pour l’instant.`,
    ceremonyDone: (q, n) => `${q} des ${n} dépositaires sont qualifiés ; la clé commune est fixée.`,
    sharesIn: (k, t) => `Déchiffrement : ${k} part(s) reçue(s), ${t} nécessaire(s)${k < t ? ` ; il en manque ${t - k}` : ''}.`, sharesNone: 'Le déchiffrement commence à la fermeture du scrutin.',
    resultFrom: (ts) => `Le résultat est tiré des parts des dépositaires ${ts.join(', ')}.`,
    notFixed: 'pas encore fixée', yes: 'oui', no: 'non', excluded: (r) => `exclu (${r})`, about: (ds) => `contre ${ds.join(', ')}`, noComplaint: 'aucune',
    turnoutOf: (v, n) => n ? `${v} sur ${n} votants (${Math.round(1000 * v / n) / 10} %)` : `${v}`, rollOf: (n, w, weights) => weights ? `${n} votants, poids ${w}` : `${n} votants`,
    noResult: 'Pas encore de résultat : les dépositaires déchiffrent les totaux après la fermeture.', votes: 'Voix', share: 'Part', optionCol: 'Option', chartOf: (c) => `Totaux de ${c}`,
    rollReading: 'Lecture du fichier de liste…', rollChecking: 'Le nœud indique quels votants sont déjà sur la liste…',
    rollBatch: (b, n, done, total) => `Lot ${b} sur ${n} : ${done} votants sur ${total} sont sur la liste.`,
    rollDone: (added, skipped) => `${added} votant(s) ajouté(s) à la liste ; ${skipped} déjà inscrit(s), ignoré(s).`,
    rollStopped: (done, total) => `L’ajout de la liste s’est arrêté avec ${done} votants sur ${total} inscrits. Reprenez-le (les votants déjà inscrits sont ignorés).`,
    rollPending: (n) => `Un ajout précédent de ${n} votants n’est pas terminé : reprenez-le.`,
    rollNeed: 'Choisissez un fichier de liste ou collez les clés.', lineProblem: (n, m) => `Ligne ${n} : ${m}`,
    searchNeed: 'Saisissez une clé de votant ou une partie.', onRoll: (k, w) => `${k} est sur la liste (poids ${w}).`, notOnRoll: (k) => `${k} n’est pas sur la liste.`,
    found: (n, shown) => n === 0 ? 'Aucun votant de la liste ne correspond.' : `${n} votant(s) correspondent${n > shown ? ` ; les ${shown} premiers` : ''} :`,
    nodeError: (m) => `Le nœud a répondu par une erreur : ${m}`, rejected: (name, num) => `La chaîne a refusé la transaction : ${name} (code ${num}).`,
    pendingTx: 'La transaction a été admise mais pas encore inscrite dans un bloc ; actualisez dans un instant.',
    unavailable: (m) => `La console ne peut pas fonctionner dans ce navigateur : ${m}`, detail: 'Détail',
    errors: {
      passphrase: 'La phrase secrète est fausse, ou la clé enregistrée a été modifiée.', sealed: 'La clé enregistrée est endommagée.', not_authority_keystore: 'Les données enregistrées ne sont pas une clé d’autorité.',
      invalid_key: 'Ce n’est pas une clé d’autorité (ed25519-secret: et 64 chiffres hexadécimaux).', wrong_role: 'Cette clé est écrite pour un autre rôle.',
      invalid_manifest: 'Ceci enfreint une règle du manifeste.', not_a_number: 'Saisissez un nombre entier.', required: 'Ce champ est obligatoire.',
      blank_minimum: 'Le minimum ne s’accorde pas avec le choix du bulletin blanc.', trustee_lines: 'Collez les lignes qu’a affichées evote trustee init.',
      duplicate_voter: 'Ce votant figure deux fois.', invalid_weight: 'Ce poids n’est pas admis.', roll_file: 'Cette ligne n’est pas une clé de votant suivie d’un poids facultatif.',
      too_long: 'Cette ligne est trop longue.', empty_roll: 'Le fichier ne contient aucun votant.', other_authority: 'Le fichier nomme une autre clé d’autorité : la console signe avec la sienne.',
      locked: 'La console est verrouillée.', limit: 'Trop de votants à la fois.', unavailable: 'La console n’a pas pu se charger.', failed: 'L’opération a échoué.',
    },
  },
  de: {
    home: 'Wahlknoten', title: 'Konsole der Wahlleitung', language: 'Sprache', problem: 'Es gibt ein Problem', loading: 'Die Konsole wird geladen…',
    setupTitle: 'Den Schlüssel der Wahlleitung importieren',
    setupIntro: 'Der Schlüssel der Wahlleitung signiert ihre Transaktionen. Er bleibt in diesem Browser, versiegelt unter einer Passphrase; er wird nie an den Knoten gesendet.',
    keyText: 'Der Text des Schlüssels (ed25519-secret:…, aus HOME/keys/authority.key)', keyFile: 'oder die Schlüsseldatei',
    passphrase: 'Passphrase', passphraseAgain: 'Passphrase wiederholen', importKey: 'Schlüssel importieren und versiegeln',
    unlockTitle: 'Die Konsole entsperren', unlock: 'Entsperren', forget: 'Den Schlüssel in diesem Browser vergessen',
    electionsTitle: 'Wahlen auf diesem Knoten', signingAs: 'Signiert als', newElection: 'Eine Wahl anlegen', refresh: 'Liste aktualisieren', lock: 'Die Konsole sperren',
    createTitle: 'Eine Wahl anlegen', yamlFile: 'Das Formular aus einer Manifestdatei füllen (YAML, wie evote election create sie liest)', yamlLoad: 'Datei lesen',
    addContest: 'Eine Frage hinzufügen', previewTitle: 'Das Manifest (YAML)', yamlDownload: 'Das Manifest herunterladen', createSubmit: 'Signieren und die Wahl anlegen', cancel: 'Abbrechen',
    electionId: 'Wahl', phase: 'Phase', rollSize: 'Wählerverzeichnis', turnout: 'Beteiligung', dashboardLink: 'Die prüfende Seite für Beobachter',
    stepsTitle: 'Öffnen und schließen', open: 'Die Wahl öffnen', close: 'Die Wahl schließen', notNow: 'Jetzt nicht',
    ceremonyTitle: 'Treuhänder: Schlüsselzeremonie und Entschlüsselung', trustee: 'Treuhänder', dealt: 'Anteile verteilt', complaints: 'Beschwerden eingereicht', qualified: 'Qualifiziert', shares: 'Entschlüsselungsanteil', jointKey: 'Gemeinsamer Schlüssel',
    rollTitle: 'Das Wählerverzeichnis', rollFile: 'Eine Verzeichnisdatei: ein Wählerschlüssel (evote-voter:…) pro Zeile, mit Gewicht, wenn die Wahl Gewichte hat', rollText: 'oder die Schlüssel einfügen',
    rollSend: 'Prüfen und ins Verzeichnis aufnehmen', rollResume: 'Die Aufnahme fortsetzen', rollSearch: 'Im Verzeichnis suchen (ein Wählerschlüssel oder ein Teil davon)', search: 'Suchen',
    resultTitle: 'Ergebnis', recordDownload: 'Das Wahlprotokoll herunterladen', back: 'Zurück zu den Wahlen',
    reference: 'Referenz (unterscheidet sonst gleiche Wahlen)', languages: 'Sprachen (Codes, durch Kommas getrennt; die erste ist die Vorgabe)',
    electionTitle: 'Titel', description: 'Beschreibung (optional)', inLang: (x, l) => `${x} (${l})`,
    revoting: 'Wählende dürfen erneut wählen (der letzte Stimmzettel zählt)', weights: 'Wählende haben Gewichte',
    schedule: 'Zeitplan (UTC, wie 2030-03-01T12:00:00Z)', dealsBy: 'Die Treuhänder verteilen ihre Schlüsselanteile bis', complaintWindow: 'Beschwerderunde (eine Dauer, wie 24h)', responseWindow: 'Antwortrunde (eine Dauer, wie 24h)',
    openAt: 'Öffnung nach Blockzeit um (optional)', closeAt: 'Schließung nach Blockzeit um (optional)',
    trustees: 'Treuhänder', trusteeLines: 'Die Zeilen, die evote trustee init für jeden Treuhänder ausgab, nacheinander', threshold: 'Schwelle: wie viele Treuhänder gemeinsam entschlüsseln',
    contest: (i) => `Frage ${i}`, type: 'Art', types: { plurality: 'Mehrheitswahl: eine Option', approval: 'Zustimmungswahl: mehrere Optionen', score: 'Bewertung: Punkte für jede Option', cumulative: 'Kumulieren: Punkte verteilen' },
    contestTitle: 'Frage', blank: 'Ein leerer Stimmzettel ist bei dieser Frage erlaubt', minSel: 'Minimum (gewählte Optionen oder Punkte insgesamt)', maxSel: 'Maximum (gewählte Optionen oder Punkte insgesamt)',
    maxPer: 'Höchstens Punkte für eine Option', option: (j) => `Option ${j}`, addOption: 'Eine Option hinzufügen', removeOption: (j) => `Option ${j} entfernen`, removeContest: (i) => `Frage ${i} entfernen`,
    numberHint: 'Leer lassen für die Vorgabe von evote election create.',
    previewOk: (id) => `Das Manifest ist gültig; die Wahl wird ${id} sein.`, previewProblems: (n) => n === 1 ? 'Das Formular hat bisher 1 Fehler (beim Signieren gezeigt).' : `Das Formular hat bisher ${n} Fehler (beim Signieren gezeigt).`,
    passShort: 'Die Passphrase muss mindestens 8 Zeichen haben.', passDiffer: 'Die beiden Passphrasen sind verschieden.', needKey: 'Fügen Sie den Text des Schlüssels ein oder wählen Sie seine Datei.',
    deriving: 'Der Schlüssel wird aus Ihrer Passphrase abgeleitet (das dauert einige Sekunden)…', sealing: 'Der Schlüssel wird unter Ihrer Passphrase versiegelt…',
    imported: (a) => `Der Schlüssel der Wahlleitung ${a} ist in diesem Browser versiegelt.`, locked: 'Die Konsole ist gesperrt.', idleLocked: 'Die Konsole hat sich nach fünf Minuten ohne Aktivität gesperrt.', forgotten: 'Der Schlüssel ist aus diesem Browser entfernt.',
    noElections: 'Noch keine Wahl auf diesem Knoten.', manage: (x) => `${x} verwalten`,
    yamlNeed: 'Wählen Sie eine Manifestdatei.', yamlRead: 'Das Formular ist aus der Datei gefüllt. Prüfen Sie es und signieren Sie dann.',
    signing: 'Die Transaktion wird signiert und gesendet, Warten auf ihren Block…', created: (id) => `Die Wahl ${id} ist angelegt.`,
    confirmOpen: 'Die Wahl jetzt öffnen? Ab ihrem Block können Wählende Stimmzettel abgeben. Das ist unumkehrbar: eine offene Wahl kann nur noch geschlossen werden.',
    confirmClose: 'Die Wahl jetzt schließen? Nach ihrem Block wird kein Stimmzettel mehr angenommen, und das Verzeichnis ist endgültig. Das ist unumkehrbar; die Treuhänder entschlüsseln dann die Summen.',
    yesOpen: 'Ja, öffnen', yesClose: 'Ja, schließen', opened: 'Die Wahl ist offen.', closed: 'Die Wahl ist geschlossen.',
    otherAuthority: (a) => `Die Wahlleitung dieser Wahl ist ${a}, nicht der Schlüssel dieser Konsole: die Konsole kann für sie nicht signieren.`,
    phases: { 'dkg-deals': 'Schlüsselzeremonie: Verteilung', 'dkg-complaints': 'Schlüsselzeremonie: Beschwerden', 'dkg-responses': 'Schlüsselzeremonie: Antworten', ready: 'Bereit zum Öffnen', open: 'Offen', closed: 'Geschlossen: die Treuhänder entschlüsseln', tallied: 'Ausgezählt', failed: 'Gescheitert' },
    stepsNote: { 'dkg-deals': 'Die Wahl kann geöffnet werden, sobald die Schlüsselzeremonie den gemeinsamen Schlüssel festgelegt hat.', 'dkg-complaints': 'Die Wahl kann geöffnet werden, sobald die Schlüsselzeremonie den gemeinsamen Schlüssel festgelegt hat.', 'dkg-responses': 'Die Wahl kann geöffnet werden, sobald die Schlüsselzeremonie den gemeinsamen Schlüssel festgelegt hat.', ready: 'Der gemeinsame Schlüssel steht fest: die Wahl kann geöffnet werden.', open: 'Die Wählenden geben ihre Stimmzettel ab.', closed: 'Die Wahl ist geschlossen.', tallied: 'Die Wahl ist beendet.', failed: 'Die Wahl ist gescheitert.' },
    roundEnds: (d) => ` Die Runde endet um ${d}.`,
    ceremonyDeals: (k, n) => `${k} von ${n} Treuhändern haben ihre Anteile verteilt.`, ceremonyComplaints: (k) => `Bisher ${k} Beschwerdesätze und Antworten.`,
    ceremonyDone: (q, n) => `${q} von ${n} Treuhändern sind qualifiziert; der gemeinsame Schlüssel steht fest.`,
    sharesIn: (k, t) => `Entschlüsselung: ${k} Anteil(e) eingegangen, ${t} nötig${k < t ? `; es fehlen noch ${t - k}` : ''}.`, sharesNone: 'Die Entschlüsselung beginnt, wenn die Wahl geschlossen ist.',
    resultFrom: (ts) => `Das Ergebnis stammt aus den Anteilen der Treuhänder ${ts.join(', ')}.`,
    notFixed: 'noch nicht festgelegt', yes: 'ja', no: 'nein', excluded: (r) => `ausgeschlossen (${r})`, about: (ds) => `gegen ${ds.join(', ')}`, noComplaint: 'keine',
    turnoutOf: (v, n) => n ? `${v} von ${n} Wählenden (${Math.round(1000 * v / n) / 10} %)` : `${v}`, rollOf: (n, w, weights) => weights ? `${n} Wählende, Gewicht ${w}` : `${n} Wählende`,
    noResult: 'Noch kein Ergebnis: die Treuhänder entschlüsseln die Summen nach der Schließung.', votes: 'Stimmen', share: 'Anteil', optionCol: 'Option', chartOf: (c) => `Summen von ${c}`,
    rollReading: 'Die Verzeichnisdatei wird gelesen…', rollChecking: 'Der Knoten wird gefragt, welche Wählenden schon im Verzeichnis stehen…',
    rollBatch: (b, n, done, total) => `Stapel ${b} von ${n}: ${done} von ${total} Wählenden im Verzeichnis.`,
    rollDone: (added, skipped) => `${added} Wählende ins Verzeichnis aufgenommen; ${skipped} standen schon darin und wurden übersprungen.`,
    rollStopped: (done, total) => `Die Aufnahme stoppte mit ${done} von ${total} Wählenden im Verzeichnis. Setzen Sie sie fort (wer schon darin steht, wird übersprungen).`,
    rollPending: (n) => `Eine frühere Aufnahme von ${n} Wählenden ist nicht fertig: setzen Sie sie fort.`,
    rollNeed: 'Wählen Sie eine Verzeichnisdatei oder fügen Sie die Schlüssel ein.', lineProblem: (n, m) => `Zeile ${n}: ${m}`,
    searchNeed: 'Geben Sie einen Wählerschlüssel oder einen Teil davon ein.', onRoll: (k, w) => `${k} steht im Verzeichnis (Gewicht ${w}).`, notOnRoll: (k) => `${k} steht nicht im Verzeichnis.`,
    found: (n, shown) => n === 0 ? 'Niemand im Verzeichnis passt.' : `${n} Wählende passen${n > shown ? `; die ersten ${shown}` : ''}:`,
    nodeError: (m) => `Der Knoten antwortete mit einem Fehler: ${m}`, rejected: (name, num) => `Die Kette lehnte die Transaktion ab: ${name} (Code ${num}).`,
    pendingTx: 'Die Transaktion wurde angenommen, aber noch nicht in einen Block aufgenommen; aktualisieren Sie gleich.',
    unavailable: (m) => `Die Konsole kann in diesem Browser nicht laufen: ${m}`, detail: 'Einzelheiten',
    errors: {
      passphrase: 'Die Passphrase ist falsch, oder der gespeicherte Schlüssel wurde verändert.', sealed: 'Der gespeicherte Schlüssel ist beschädigt.', not_authority_keystore: 'Die gespeicherten Daten sind kein Schlüssel der Wahlleitung.',
      invalid_key: 'Das ist kein Schlüssel der Wahlleitung (ed25519-secret: und 64 Hexziffern).', wrong_role: 'Dieser Schlüssel ist für eine andere Rolle geschrieben.',
      invalid_manifest: 'Das verletzt eine Regel des Manifests.', not_a_number: 'Geben Sie eine ganze Zahl ein.', required: 'Dies ist erforderlich.',
      blank_minimum: 'Das Minimum passt nicht zur Wahl des leeren Stimmzettels.', trustee_lines: 'Fügen Sie die Zeilen ein, die evote trustee init ausgab.',
      duplicate_voter: 'Diese Person steht zweimal in der Liste.', invalid_weight: 'Dieses Gewicht ist nicht erlaubt.', roll_file: 'Diese Zeile ist kein Wählerschlüssel mit optionalem Gewicht.',
      too_long: 'Diese Zeile ist zu lang.', empty_roll: 'Die Datei nennt keine Wählenden.', other_authority: 'Die Datei nennt einen anderen Schlüssel der Wahlleitung: die Konsole signiert mit ihrem eigenen.',
      locked: 'Die Konsole ist gesperrt.', limit: 'Zu viele Wählende auf einmal.', unavailable: 'Die Konsole konnte nicht geladen werden.', failed: 'Der Vorgang ist fehlgeschlagen.',
    },
  },
};

const SECTIONS = ['s-loading', 's-setup', 's-unlock', 's-home', 's-create', 's-election'];
const TYPES = ['plurality', 'approval', 'score', 'cumulative'];
const params = new URLSearchParams(location.search);
// Voters per append-voters transaction (?batch= for tests; 1..20000).
const BATCH = Math.min(Math.max(Number(params.get('batch')) || 1000, 1), 20000);
const POLL_MS = 2000;
// The console locks itself after this long without activity (?idle=
// seconds for tests; five minutes by default).
const IDLE_MS = (Number(params.get('idle')) || 300) * 1000;

const call = worker('console');
const db = store('evote-console');

const state = {
  lang: 'en', sealed: '', authority: '', chainID: '', elections: [],
  form: null, check: null, election: null, result: null, requests: 0,
};
window.evoteConsoleState = state; // read by the browser tests (public data only)

function t(key, ...args) {
  const v = UI[state.lang][key] ?? UI.en[key];
  return typeof v === 'function' ? v(...args) : v;
}
function errText(code) { return UI[state.lang].errors[code] || UI.en.errors[code] || UI[state.lang].errors.failed; }
function show(...ids) {
  for (const s of SECTIONS) $(s).hidden = !ids.includes(s);
  if (!ids.includes('s-election')) stopPolling();
}
function clearMessages() { problem([]); notice(''); state.formProblems = null; }
function failed(answer, field) { problem([{ text: errText(answer.error) + (answer.message ? ' (' + answer.message + ')' : ''), href: field ? '#' + field : '' }]); }
function text(tx, languages) {
  if (!tx) return '';
  const l = [state.lang, ...(languages || []), ...Object.keys(tx)].find((x) => tx[x] != null && tx[x] !== '');
  return l ? tx[l] : '';
}

// ---- language ----
function applyLang() {
  document.documentElement.lang = state.lang;
  $('lang').value = state.lang;
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  document.title = t('title') + ' – evote';
  renderElections();
  if (!$('s-create').hidden) {
    renderForm();
    renderPreview();
    if (state.formProblems) { // in the new language, at their fields again, the focus left where it was
      const at = document.activeElement;
      showFormProblems(state.formProblems);
      if (at && at.isConnected) at.focus();
    }
  }
  if (state.election) renderElection();
}

// ---- the node ----
// post sends a signed transaction and waits for its block: {ok, message}.
async function post(txB64) {
  state.requests++;
  let resp;
  try {
    resp = await api('/api/v1/transactions?wait=commit', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: b64ToBytes(txB64) });
  } catch (err) {
    return { ok: false, message: t('nodeError', String(err.message || err)) };
  }
  const b = resp.body || {};
  if (resp.status === 422 || (b.committed && b.code)) return { ok: false, message: t('rejected', b.code_name || 'code-' + b.code, b.code ?? '?') + (b.error ? ' ' + b.error : '') };
  if (resp.ok && !b.committed) return { ok: false, message: t('pendingTx') };
  if (!resp.ok) return { ok: false, message: t('nodeError', b.error || ('HTTP ' + resp.status)) };
  return { ok: true, height: b.height };
}
async function chainID() {
  if (state.chainID) return state.chainID;
  const st = await api('/api/v1/status');
  if (!st.ok) throw new Error(st.body.error);
  state.chainID = st.body.chain_id;
  return state.chainID;
}

// ---- the key ----
async function setup(ev) {
  ev.preventDefault();
  clearMessages();
  const keyText = ($('setup-key').value.trim() || (await fileText($('setup-keyfile'))).trim());
  const p = $('setup-pass').value, p2 = $('setup-pass2').value;
  const errs = [];
  if (!keyText) errs.push({ text: t('needKey'), href: '#setup-key' });
  if (p.length < 8) errs.push({ text: t('passShort'), href: '#setup-pass' });
  else if (p !== p2) errs.push({ text: t('passDiffer'), href: '#setup-pass2' });
  if (errs.length) { problem(errs); return; }
  let a = await call('import_text', { text: keyText });
  if (!a.ok) { failed(a, 'setup-key'); return; }
  a = await busyCall(t('sealing'), 'seal', { passphrase: p });
  if (!a.ok) { failed(a, 'setup-pass'); return; }
  state.sealed = bytesToB64(b64ToBytes(a.sealed));
  await db.put('authority', state.sealed);
  for (const id of ['setup-key', 'setup-pass', 'setup-pass2']) $(id).value = '';
  $('setup-keyfile').value = '';
  await unlocked(a.authority);
  notice(t('imported', a.authority));
}
async function unlock(ev) {
  ev.preventDefault();
  clearMessages();
  const p = $('unlock-pass').value;
  if (!p) { problem([{ text: t('passShort'), href: '#unlock-pass' }]); return; }
  const a = await busyCall(t('deriving'), 'open', { sealed: state.sealed, passphrase: p });
  if (!a.ok) { failed(a, 'unlock-pass'); return; }
  $('unlock-pass').value = '';
  await unlocked(a.authority);
}
async function busyCall(msg, op, args) {
  busy(msg);
  try { return await call(op, args); } finally { busy(''); }
}
async function unlocked(authority) {
  state.authority = authority;
  $('authority').textContent = authority;
  touch();
  show('s-home');
  $('home-h').focus();
  await refreshElections();
}
async function lock(why) {
  clearTimeout(idleTimer);
  await call('lock', {});
  Object.assign(state, { authority: '', election: null, form: null, check: null });
  $('yaml-preview').textContent = '';
  clearMessages();
  notice(why || t('locked'));
  show('s-unlock');
}
let idleTimer = 0;
function touch() {
  clearTimeout(idleTimer);
  if (!state.authority) return;
  // Never in the middle of a roll upload or a signature.
  idleTimer = setTimeout(() => (!$('busy').hidden ? touch() : lock(t('idleLocked'))), IDLE_MS);
}
async function forget() {
  await db.del('authority');
  state.sealed = '';
  clearMessages();
  notice(t('forgotten'));
  show('s-setup');
}

// ---- the elections ----
async function refreshElections() {
  $('elections').setAttribute('aria-busy', 'true');
  try {
    await chainID();
    const list = await api('/api/v1/elections');
    if (!list.ok) throw new Error(list.body.error);
    state.elections = list.body.elections || [];
  } catch (err) {
    problem([{ text: t('nodeError', String(err.message || err)) }]);
  }
  renderElections();
  $('elections').setAttribute('aria-busy', 'false');
}
function renderElections() {
  const list = $('elections');
  if (!state.elections.length) { list.replaceChildren(el('li', {}, t('noElections'))); return; }
  list.replaceChildren(...state.elections.map((e, i) => {
    const title = text(e.title) || e.id;
    return el('li', {}, el('strong', {}, title), ' ', el('span', { class: 'muted' }, (UI[state.lang].phases[e.phase] || e.phase) + ' · ' + t('rollOf', e.roll_size, 0, false)), ' ',
      el('button', { type: 'button', class: 'secondary', id: 'manage-' + i, 'data-election': e.id, onclick: () => openElection(e.id) }, t('manage', title)));
  }));
}

// ---- the create form ----
// The form's model is the JSON consolebridge.Form reads; each field's id
// is its manifest path ("contests[1].max_selections" is
// #f-contests-1-max_selections), so that a problem finds its field.
function fid(path) { return 'f-' + path.replace(/\[(\d+)\]/g, '.$1').replace(/\./g, '-'); }
function defaultDealsBy() {
  const d = new Date(Date.now() + 3600e3);
  d.setUTCSeconds(0, 0);
  return d.toISOString().replace('.000Z', 'Z');
}
function newContest(langs, type = 'plurality') {
  const empty = () => Object.fromEntries(langs.map((l) => [l, '']));
  return { type, title: empty(), description: empty(), blank: true, min_selections: '', max_selections: '', max_per_option: '', options: [empty(), empty()] };
}
function newForm() {
  const langs = [state.lang];
  return {
    reference: '', languages: langs, title: { [state.lang]: '' }, description: { [state.lang]: '' }, revoting: false, weights: false,
    schedule: { dkg_deals_by: defaultDealsBy(), dkg_complaint_window: '1h', dkg_response_window: '1h', open: '', close: '' },
    threshold: '', trustees: '', contests: [newContest(langs)],
  };
}
function getPath(obj, path) {
  return path.replace(/\[(\d+)\]/g, '.$1').split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}
function setPath(obj, path, value) {
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) { o[k] ??= {}; o = o[k]; }
  o[keys[keys.length - 1]] = value;
}
// The texts of the form follow its languages.
function fitLanguages(f) {
  const fit = (tx) => Object.fromEntries(f.languages.map((l) => [l, (tx || {})[l] ?? '']));
  f.title = fit(f.title); f.description = fit(f.description);
  for (const c of f.contests) { c.title = fit(c.title); c.description = fit(c.description); c.options = c.options.map(fit); }
}

function field(path, label, opts = {}) {
  const id = fid(path);
  const v = getPath(state.form, path);
  const attrs = { id, 'data-path': path, autocomplete: 'off', spellcheck: 'false' };
  let input;
  if (opts.textarea) input = el('textarea', { ...attrs, rows: opts.rows || 3, value: v ?? '' });
  else if (opts.checkbox) input = el('input', { ...attrs, type: 'checkbox', checked: !!v });
  else if (opts.select) input = el('select', attrs, ...opts.select.map(([value, name]) => el('option', { value, selected: value === v }, name)));
  else input = el('input', { ...attrs, value: v ?? '', inputmode: opts.numeric ? 'numeric' : null, 'aria-describedby': opts.hint ? id + '-hint' : null });
  if (opts.checkbox) return el('p', { class: 'choice' }, input, el('label', { for: id }, label));
  return el('p', {}, el('label', { for: id }, label), el('br'), input, opts.hint ? el('span', { id: id + '-hint', class: 'hint' }, ' ' + opts.hint) : null);
}
function texts(path, label, langs) {
  return el('fieldset', { id: fid(path), tabindex: -1 }, el('legend', {}, label),
    ...langs.map((l) => field(`${path}.${l}`, t('inLang', label, l))));
}
function renderForm() {
  const f = state.form;
  const langs = f.languages;
  const contests = f.contests.map((c, i) => {
    const p = `contests[${i}]`;
    const plural = c.type === 'plurality';
    return el('fieldset', { id: fid(p), tabindex: -1, class: 'contest' }, el('legend', {}, t('contest', i + 1)),
      field(`${p}.type`, t('type'), { select: TYPES.map((x) => [x, UI[state.lang].types[x]]) }),
      texts(`${p}.title`, t('contestTitle'), langs),
      texts(`${p}.description`, t('description'), langs),
      field(`${p}.blank`, t('blank'), { checkbox: true }),
      plural ? null : field(`${p}.min_selections`, t('minSel'), { numeric: true, hint: t('numberHint') }),
      plural ? null : field(`${p}.max_selections`, t('maxSel'), { numeric: true, hint: t('numberHint') }),
      plural || c.type === 'approval' ? null : field(`${p}.max_per_option`, t('maxPer'), { numeric: true }),
      el('div', { id: fid(`${p}.options`), tabindex: -1 }, ...c.options.map((_, j) => el('fieldset', { id: fid(`${p}.options[${j}]`), tabindex: -1 },
        el('legend', {}, t('option', j + 1)),
        ...langs.map((l) => field(`${p}.options[${j}].${l}`, t('inLang', t('option', j + 1), l))),
        c.options.length > 1 ? el('button', { type: 'button', class: 'secondary', id: `remove-option-${i}-${j}`, onclick: () => change(() => c.options.splice(j, 1), `add-option-${i}`) }, t('removeOption', j + 1)) : null))),
      el('p', { class: 'buttons' },
        el('button', { type: 'button', class: 'secondary', id: `add-option-${i}`, onclick: () => change(() => c.options.push(Object.fromEntries(langs.map((l) => [l, '']))), fid(`${p}.options[${c.options.length}].${langs[0]}`)) }, t('addOption')),
        f.contests.length > 1 ? el('button', { type: 'button', class: 'secondary', id: `remove-contest-${i}`, onclick: () => change(() => f.contests.splice(i, 1), 'add-contest') }, t('removeContest', i + 1)) : null));
  });
  // The languages' field is the page's own, not rendered again: a change
  // of languages renders the texts' fields again and the focus goes on.
  if (document.activeElement !== $('f-languages')) $('f-languages').value = langs.join(', ');
  $('create-fields').replaceChildren(
    field('reference', t('reference')),
    texts('title', t('electionTitle'), langs),
    texts('description', t('description'), langs),
    field('revoting', t('revoting'), { checkbox: true }),
    field('weights', t('weights'), { checkbox: true }),
    el('fieldset', { id: 'f-schedule', tabindex: -1 }, el('legend', {}, t('schedule')),
      field('schedule.dkg_deals_by', t('dealsBy')), field('schedule.dkg_complaint_window', t('complaintWindow')),
      field('schedule.dkg_response_window', t('responseWindow')), field('schedule.open', t('openAt')), field('schedule.close', t('closeAt'))),
    el('fieldset', { id: 'f-trustees', tabindex: -1 }, el('legend', {}, t('trustees')),
      field('trustees.members', t('trusteeLines'), { textarea: true, rows: 6 }),
      field('trustees.threshold', t('threshold'), { numeric: true })),
    el('div', { id: 'f-contests', tabindex: -1 }, ...contests));
  // The model keeps the pasted lines as "trustees" and the threshold at
  // the top, as consolebridge.Form has them.
  $('f-trustees-members').value = f.trustees;
  $('f-trustees-threshold').value = f.threshold;
}
// change makes a structural change to the form, renders it again and
// puts the focus on focusId.
function change(fn, focusId) {
  fn();
  renderForm();
  schedulePreview();
  $(focusId)?.focus();
}
function formInput(ev) {
  const e = ev.target;
  if (e.id === 'f-languages') return;
  const path = e.dataset.path;
  if (!path) return;
  const value = e.type === 'checkbox' ? e.checked : e.value;
  if (path === 'trustees.members') state.form.trustees = value;
  else if (path === 'trustees.threshold') state.form.threshold = value;
  else setPath(state.form, path, value);
  if (path.endsWith('.type')) { change(() => {}, e.id); return; }
  schedulePreview();
}
function languagesChanged() {
  const langs = $('f-languages').value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  if (JSON.stringify(langs) === JSON.stringify(state.form.languages)) return;
  state.form.languages = langs;
  fitLanguages(state.form);
  renderForm();
  schedulePreview();
}

// ---- the preview ----
let previewTimer = 0;
function schedulePreview() { clearTimeout(previewTimer); previewTimer = setTimeout(preview, 250); }
async function preview() {
  const a = await call('check', { form: state.form });
  state.check = a;
  renderPreview();
}
function renderPreview() {
  const a = state.check;
  if (!a) return;
  $('yaml-preview').textContent = a.yaml || '';
  $('preview-state').textContent = a.ok ? t('previewOk', a.id) : t('previewProblems', (a.problems || []).length || 1);
  setDownload($('yaml-download'), a.yaml || '', 'manifest.yaml', 'text/yaml');
}

// fieldFor finds the field of a manifest path, or of the nearest path
// above it that has one.
function fieldFor(path) {
  let p = path;
  while (p) {
    const e = $(fid(p));
    if (e) return e;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) break;
    p = p.slice(0, cut);
  }
  return null;
}
function labelOf(e) {
  if (e.tagName === 'FIELDSET') return e.querySelector('legend')?.textContent || '';
  if (e.tagName === 'DIV') return e.closest('fieldset')?.querySelector('legend')?.textContent || t('createTitle');
  return document.querySelector(`label[for="${e.id}"]`)?.textContent || '';
}
function clearFieldErrors(scope) {
  for (const p of scope.querySelectorAll('.field-error[data-for]')) p.remove();
  for (const e of scope.querySelectorAll('[aria-invalid]')) {
    e.removeAttribute('aria-invalid');
    const d = (e.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.endsWith('-err')).join(' ');
    if (d) e.setAttribute('aria-describedby', d); else e.removeAttribute('aria-describedby');
  }
  for (const e of scope.querySelectorAll('.invalid')) e.classList.remove('invalid');
}
// fieldError shows a message at a field: after it, tied to it by
// aria-describedby.
function fieldError(e, message) {
  const id = e.id + '-err';
  let p = $(id);
  if (!p) {
    p = el('p', { class: 'field-error', id, 'data-for': e.id });
    const legend = e.tagName === 'FIELDSET' ? e.querySelector(':scope > legend') : null;
    if (legend) legend.after(p); else if (e.tagName === 'DIV') e.prepend(p); else e.after(p);
    e.setAttribute('aria-invalid', 'true');
    e.setAttribute('aria-describedby', ((e.getAttribute('aria-describedby') || '') + ' ' + id).trim());
    e.classList.add('invalid');
  }
  p.append(el('span', {}, message), ' ');
}
function showFormProblems(problems) {
  state.formProblems = problems;
  clearFieldErrors($('create-form'));
  const items = [];
  for (const p of problems) {
    const e = p.field ? fieldFor(p.field) : null;
    const msg = errText(p.code) + (p.message ? ' (' + p.message + ')' : '');
    if (e) fieldError(e, msg);
    items.push({ text: (e ? labelOf(e) + ': ' : '') + msg, href: e ? '#' + e.id : '' });
  }
  problem(items);
}

async function createElection(ev) {
  ev.preventDefault();
  clearMessages();
  clearFieldErrors($('create-form'));
  let id;
  try { id = await chainID(); } catch (err) { problem([{ text: t('nodeError', String(err.message || err)) }]); return; }
  const a = await call('create', { chain_id: id, form: state.form });
  state.check = a;
  renderPreview();
  if (!a.ok) {
    if (a.problems && a.problems.length) showFormProblems(a.problems); else failed(a);
    return;
  }
  busy(t('signing'));
  const r = await post(a.tx);
  busy('');
  if (!r.ok) { problem([{ text: r.message }]); return; }
  state.form = null;
  await openElection(a.id);
  notice(t('created', a.id));
}
async function loadYAML(ev) {
  ev.preventDefault();
  clearMessages();
  const y = await fileText($('yaml-file'));
  if (!y) { problem([{ text: t('yamlNeed'), href: '#yaml-file' }]); return; }
  const a = await call('yaml_form', { yaml: y });
  if (!a.ok) { failed(a, 'yaml-file'); return; }
  const f = a.form;
  f.languages ||= [];
  f.contests ||= [];
  for (const c of f.contests) c.options ||= [];
  state.form = f;
  fitLanguages(f);
  renderForm();
  await preview();
  if (a.problems && a.problems.length) problem(a.problems.map((p) => ({ text: errText(p.code) + ' ' + p.message })));
  else notice(t('yamlRead'));
}
function startCreate() {
  clearMessages();
  state.form ??= newForm();
  renderForm();
  show('s-create');
  $('create-h').focus();
  preview();
}

// ---- one election ----
let pollTimer = 0;
function stopPolling() { clearTimeout(pollTimer); pollTimer = 0; }
async function openElection(id) {
  clearMessages();
  state.election = { id, detail: null };
  state.result = null;
  $('roll-text').value = '';
  $('roll-file').value = '';
  $('roll-found').replaceChildren();
  $('roll-progress-box').hidden = true;
  $('confirm').hidden = true;
  clearFieldErrors($('roll-form'));
  show('s-election');
  await poll();
  $('el-title').focus();
  const job = await db.get('roll:' + id);
  $('roll-resume').hidden = !job;
  if (job) notice(t('rollPending', job.voters.length));
}
async function poll() {
  stopPolling();
  const e = state.election;
  if (!e) return;
  const r = await api(`/api/v1/elections/${e.id}`);
  if (state.election !== e) return;
  if (r.ok) {
    e.detail = r.body;
    if (e.detail.phase === 'tallied' && !state.result) {
      const res = await api(`/api/v1/elections/${e.id}/result`);
      if (res.ok) state.result = res.body;
    }
    renderElection();
  } else {
    problem([{ text: t('nodeError', r.body.error || ('HTTP ' + r.status)) }]);
  }
  if (!$('s-election').hidden && state.election === e && e.detail?.phase !== 'tallied' && e.detail?.phase !== 'failed') pollTimer = setTimeout(poll, POLL_MS);
}
function yesNo(b) { return b ? t('yes') : t('no'); }
function renderElection() {
  const e = state.election;
  const d = e && e.detail;
  if (!d) return;
  const m = d.manifest;
  const ours = m.authority === state.authority || m.authority.replace(/^ed25519:/, 'evote-authority:') === state.authority;
  $('el-title').textContent = text(m.title, m.languages);
  $('el-id').textContent = d.id;
  $('el-phase').textContent = (UI[state.lang].phases[d.phase] || d.phase) + (d.failure ? ': ' + d.failure : '');
  $('el-roll').textContent = t('rollOf', d.counts.roll_size, d.counts.roll_weight, m.weights);
  $('el-turnout').textContent = t('turnoutOf', d.counts.voters, d.counts.roll_size);
  $('el-other').hidden = ours;
  $('el-other').textContent = ours ? '' : t('otherAuthority', m.authority);
  $('dashboard-link').href = '/elections/' + d.id;
  $('open-election').hidden = !ours || d.phase !== 'ready';
  $('close-election').hidden = !ours || d.phase !== 'open';
  $('roll-form').hidden = !ours || ['closed', 'tallied', 'failed'].includes(d.phase);
  // Ceremony and decryption.
  const n = d.trustees.length, thr = m.trustees.threshold;
  let st = '';
  if (d.phase === 'dkg-deals') st = t('ceremonyDeals', d.trustees.filter((x) => x.dealt).length, n);
  else if (d.phase === 'dkg-complaints' || d.phase === 'dkg-responses') st = t('ceremonyDeals', d.trustees.filter((x) => x.dealt).length, n) + ' ' + t('ceremonyComplaints', d.counts.complaint_sets + d.counts.responses);
  else if (d.joint_key) st = t('ceremonyDone', d.trustees.filter((x) => x.qualified).length, n);
  if (d.dkg_deadline && d.phase.startsWith('dkg-')) st += t('roundEnds', new Date(d.dkg_deadline).toISOString().replace('.000Z', 'Z'));
  $('steps-state').textContent = UI[state.lang].stepsNote[d.phase] || '';
  $('ceremony-state').textContent = st.trim();
  $('ceremony-rows').replaceChildren(...d.trustees.map((x) => el('tr', { id: 'trustee-' + x.index },
    el('th', { scope: 'row' }, `${x.index}. ${x.name}`),
    el('td', {}, yesNo(x.dealt)),
    el('td', {}, !x.complaints_posted ? t('no') : x.complaints_about && x.complaints_about.length ? t('about', x.complaints_about) : t('noComplaint')),
    el('td', {}, x.excluded ? t('excluded', x.excluded.reason) : yesNo(x.qualified)),
    el('td', {}, yesNo(x.shares_posted)))));
  $('joint-key').textContent = d.joint_key ? String(d.joint_key) : t('notFixed');
  const sharesIn = d.trustees.filter((x) => x.shares_posted).length;
  $('decryption-state').textContent = ['closed', 'tallied'].includes(d.phase) ? t('sharesIn', sharesIn, thr) : t('sharesNone');
  $('record-link').hidden = false;
  $('record-link').href = `/api/v1/elections/${d.id}/record`;
  $('record-link').download = `election-${d.id.slice(0, 12)}.json`;
  renderResult(m);
}
// renderResult draws each contest's totals as a table whose bars are CSS
// (the numbers are the table's; the bars are decoration).
function renderResult(m) {
  const r = state.result;
  if (!r) { $('result').replaceChildren(el('p', {}, t('noResult'))); return; }
  const blocks = [el('p', { id: 'result-turnout' }, t('turnout') + ': ' + t('turnoutOf', r.voters, state.election.detail.counts.roll_size)),
    el('p', {}, t('resultFrom', r.trustees))];
  for (const c of r.contests) {
    const ct = m.contests[c.index];
    const total = c.totals.reduce((s, x) => s + x, 0);
    const most = Math.max(1, ...c.totals);
    const title = text(ct.title, m.languages);
    blocks.push(el('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': t('chartOf', title) },
      el('table', { id: 'result-' + c.index },
        el('caption', {}, title),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('optionCol')), el('th', { scope: 'col', class: 'num' }, t('votes')), el('th', { scope: 'col', class: 'num' }, t('share')), el('th', { scope: 'col', class: 'bar-cell' }, el('span', { class: 'sr-only' }, t('chartOf', title))))),
        el('tbody', {}, ...c.totals.map((v, j) => el('tr', {},
          el('th', { scope: 'row' }, text(ct.options[j], m.languages)),
          el('td', { class: 'num' }, String(v)),
          el('td', { class: 'num' }, total ? (Math.round(1000 * v / total) / 10) + ' %' : '–'),
          el('td', { class: 'bar-cell', 'aria-hidden': 'true' }, barOf(v / most))))))));
  }
  $('result').replaceChildren(...blocks);
}
// barOf is a bar of the given fraction, drawn as an SVG rectangle (the
// page's style sheet allows no inline style).
function barOf(frac) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 100 10');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'bar-svg');
  svg.setAttribute('focusable', 'false');
  const r = document.createElementNS(ns, 'rect');
  r.setAttribute('width', String(Math.max(0.5, 100 * frac)));
  r.setAttribute('height', '10');
  r.setAttribute('class', 'bar-rect');
  svg.append(r);
  return svg;
}

// ---- open and close ----
let confirming = '';
function askConfirm(what) {
  confirming = what;
  $('confirm-text').textContent = t(what === 'open' ? 'confirmOpen' : 'confirmClose');
  $('confirm-yes').textContent = t(what === 'open' ? 'yesOpen' : 'yesClose');
  $('confirm').hidden = false;
  $('confirm-no').focus();
}
async function confirmed() {
  const what = confirming;
  confirming = '';
  $('confirm').hidden = true;
  clearMessages();
  const e = state.election;
  const a = await call(what === 'open' ? 'open_election' : 'close', { chain_id: await chainID(), election: e.id });
  if (!a.ok) { failed(a); return; }
  busy(t('signing'));
  const r = await post(a.tx);
  busy('');
  if (!r.ok) { problem([{ text: r.message }]); return; }
  await poll();
  notice(t(what === 'open' ? 'opened' : 'closed'));
  $('el-title').focus();
}

// ---- the roll ----
function rollField() { return $('roll-text').value.trim() ? 'roll-text' : 'roll-file'; }
async function sendRoll(ev) {
  ev.preventDefault();
  clearMessages();
  clearFieldErrors($('roll-form'));
  const e = state.election;
  const fieldId = rollField();
  const txt = fieldId === 'roll-text' ? $('roll-text').value : await fileText($('roll-file'));
  if (!txt.trim()) { problem([{ text: t('rollNeed'), href: '#roll-text' }]); return; }
  const a = await call('roll', { text: txt, weights: !!e.detail.manifest.weights });
  if (!a.ok) {
    const f = $(fieldId);
    const items = (a.problems || [{ code: a.error, message: a.message }]).map((p) => {
      const msg = p.line ? t('lineProblem', p.line, errText(p.code) + ' ' + p.message) : errText(p.code) + ' ' + p.message;
      fieldError(f, msg);
      return { text: msg, href: '#' + fieldId };
    });
    problem(items);
    return;
  }
  const job = { election: e.id, voters: a.voters };
  await db.put('roll:' + e.id, job);
  await runRoll(job);
}
// runRoll appends a job's voters: it asks the node which are on the roll
// already (after a reload, those of the batches that went through), skips
// them, and sends the others in batches, each waiting for its block. The
// job stays in IndexedDB until every voter is on the roll.
async function runRoll(job) {
  clearMessages();
  const total = job.voters.length;
  $('roll-progress-box').hidden = false;
  const progress = (text, value) => { $('roll-status').textContent = text; $('roll-progress').max = total; $('roll-progress').value = value; };
  progress(t('rollChecking'), 0);
  busy(t('rollChecking'));
  let on;
  try { on = await onRoll(job.election, job.voters); } catch (err) { busy(''); problem([{ text: t('nodeError', String(err.message || err)) }]); return; }
  const pending = job.voters.filter((v) => !on.has(v.voter));
  const skipped = total - pending.length;
  const batches = Math.ceil(pending.length / BATCH);
  let done = skipped;
  progress(t('rollBatch', 0, batches, done, total), done);
  const chain = await chainID();
  for (let b = 0; b < batches; b++) {
    const part = pending.slice(b * BATCH, (b + 1) * BATCH);
    busy(t('rollBatch', b + 1, batches, done, total), done, total);
    const a = await call('append', { chain_id: chain, election: job.election, voters: part });
    const r = a.ok ? await post(a.tx) : { ok: false, message: errText(a.error) + ' ' + a.message };
    if (!r.ok) {
      busy('');
      progress(t('rollStopped', done, total), done);
      $('roll-resume').hidden = false;
      problem([{ text: r.message }, { text: t('rollStopped', done, total), href: '#roll-resume' }]);
      return;
    }
    done += part.length;
    progress(t('rollBatch', b + 1, batches, done, total), done);
  }
  busy('');
  await db.del('roll:' + job.election);
  $('roll-resume').hidden = true;
  $('roll-text').value = '';
  $('roll-file').value = '';
  progress(t('rollDone', pending.length, skipped), total);
  notice(t('rollDone', pending.length, skipped));
  await poll();
}
async function resumeRoll() {
  const job = await db.get('roll:' + state.election.id);
  if (job) await runRoll(job);
}
// onRoll returns which of the voters are on the election's roll: the
// whole roll page by page when it is small, else voter by voter (as
// `evote roll append` does, internal/rollsync).
async function onRoll(id, voters) {
  const first = await api(`/api/v1/elections/${id}/roll?offset=0&limit=1000`);
  if (!first.ok) throw new Error(first.body.error);
  const on = new Set();
  const total = first.body.total;
  if (total === 0) return on;
  const pages = Math.ceil(total / 1000);
  if (pages * (pages + 1) / 2 <= voters.length / 16) {
    let page = first.body;
    for (;;) {
      for (const v of page.voters) on.add(v.voter);
      const next = page.offset + page.voters.length;
      if (!page.voters.length || next >= total) break;
      const r = await api(`/api/v1/elections/${id}/roll?offset=${next}&limit=1000`);
      if (!r.ok) throw new Error(r.body.error);
      page = r.body;
    }
    return on;
  }
  let next = 0;
  const work = async () => {
    while (next < voters.length) {
      const v = voters[next++];
      const r = await api(`/api/v1/elections/${id}/voters/${encodeURIComponent(v.voter)}`);
      if (r.ok && r.body.on_roll) on.add(v.voter);
      else if (!r.ok && r.status !== 404) throw new Error(r.body.error);
    }
  };
  await Promise.all(Array.from({ length: 8 }, work));
  return on;
}
async function searchRoll(ev) {
  ev.preventDefault();
  const q = $('roll-search').value.trim().toLowerCase();
  const out = $('roll-found');
  if (!q) { out.replaceChildren(el('p', {}, t('searchNeed'))); return; }
  const id = state.election.id;
  if (/^(evote-voter|ed25519):[0-9a-f]{64}$/.test(q)) {
    const r = await api(`/api/v1/elections/${id}/voters/${encodeURIComponent(q)}`);
    out.replaceChildren(el('p', {}, r.ok && r.body.on_roll ? t('onRoll', r.body.voter, r.body.weight) : t('notOnRoll', q)));
    return;
  }
  const found = [];
  let offset = 0;
  for (let i = 0; i < 20; i++) {
    const r = await api(`/api/v1/elections/${id}/roll?offset=${offset}&limit=1000`);
    if (!r.ok) { out.replaceChildren(el('p', {}, t('nodeError', r.body.error))); return; }
    for (const v of r.body.voters) if (v.voter.includes(q)) found.push(v);
    offset += r.body.voters.length;
    if (!r.body.voters.length || offset >= r.body.total) break;
  }
  const shown = found.slice(0, 50);
  out.replaceChildren(el('p', {}, t('found', found.length, shown.length)),
    shown.length ? el('ul', { id: 'roll-matches' }, ...shown.map((v) => el('li', {}, el('code', {}, v.voter), ' ', String(v.weight)))) : null);
}

async function main() {
  state.lang = pickLang(UI);
  $('lang').addEventListener('change', () => { state.lang = $('lang').value; localStorage.setItem('evote-lang', state.lang); applyLang(); });
  applyLang();
  $('setup-form').addEventListener('submit', setup);
  $('unlock-form').addEventListener('submit', unlock);
  $('forget').addEventListener('click', forget);
  $('lock').addEventListener('click', () => lock());
  for (const ev of ['keydown', 'pointerdown', 'input']) document.addEventListener(ev, touch, { passive: true });
  $('refresh').addEventListener('click', () => { clearMessages(); refreshElections(); });
  $('new-election').addEventListener('click', startCreate);
  $('create-form').addEventListener('input', formInput);
  $('create-form').addEventListener('change', (ev) => { if (ev.target.id === 'f-languages') languagesChanged(); });
  // Tab or Enter in the languages' field applies them first, so that the
  // focus moves on to the fields they make (the change event comes after
  // the focus has left, for an element rendering then replaces).
  $('f-languages').addEventListener('keydown', (ev) => { if (ev.key === 'Tab' || ev.key === 'Enter') languagesChanged(); });
  $('create-form').addEventListener('submit', createElection);
  $('add-contest').addEventListener('click', () => change(() => state.form.contests.push(newContest(state.form.languages)), fid(`contests[${state.form.contests.length}].type`)));
  $('create-cancel').addEventListener('click', () => { clearMessages(); show('s-home'); $('home-h').focus(); refreshElections(); });
  $('yaml-form').addEventListener('submit', loadYAML);
  $('open-election').addEventListener('click', () => askConfirm('open'));
  $('close-election').addEventListener('click', () => askConfirm('close'));
  $('confirm-yes').addEventListener('click', confirmed);
  $('confirm-no').addEventListener('click', () => { confirming = ''; $('confirm').hidden = true; $('el-title').focus(); });
  $('roll-form').addEventListener('submit', sendRoll);
  $('roll-resume').addEventListener('click', resumeRoll);
  $('search-form').addEventListener('submit', searchRoll);
  $('back').addEventListener('click', () => { state.election = null; clearMessages(); show('s-home'); $('home-h').focus(); refreshElections(); });
  const ready = await call('ready', {});
  if (!ready.ok) { show(); problem([{ text: t('unavailable', ready.message) }]); return; }
  state.wasmSHA256 = ready.sha256;
  state.sealed = (await db.get('authority')) || '';
  show(state.sealed ? 's-unlock' : 's-setup');
  document.body.dataset.ready = 'true';
}
main();
