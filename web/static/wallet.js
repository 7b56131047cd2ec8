// The web wallet (/wallet): the voter's keys, the booth, casting, the
// Benaloh audit and the receipts, in the browser. Everything that touches
// a key, a seed or a passphrase runs in the worker (wallet-worker.js), in
// package wallet compiled to WebAssembly; this page only talks to the
// node's JSON API with public data: the elections, the signed ballot, the
// receipts. The keystore is kept in IndexedDB sealed under the passphrase,
// in the format of `evote wallet` (docs/spec/keystore.md), and locks after
// five minutes without activity.

const UI = {
  en: {
    home: 'Polling node', title: 'Voting wallet', language: 'Language', problem: 'There is a problem', loading: 'Loading the wallet…',
    setupTitle: 'Create your wallet',
    setupIntro: 'Your voter keys stay in this browser, sealed under a passphrase that only you know. Nothing secret is ever sent to the node.',
    passphrase: 'Passphrase', passphraseAgain: 'Passphrase again', create: 'Create the wallet',
    importFileTitle: 'Or import a keystore file', importFileIntro: 'A keystore file written by evote wallet; the wallet then keeps it under its passphrase.',
    keystoreFile: 'Keystore file', filePassphrase: 'The file’s passphrase', importFile: 'Import the file',
    unlockTitle: 'Unlock your wallet', unlock: 'Unlock', keysTitle: 'Your keys',
    keysIntro: 'Give the public key (evote-voter:…) to the election’s officials so that they put it on the voter roll.',
    lock: 'Lock the wallet', export: 'Export the keystore file', manageKeys: 'Add a key', newKeyTitle: 'A new key', importTextTitle: 'A key from its text', importFileTitle2: 'The keys of a keystore file', keyName: 'Name of the key',
    nameHint: '1 to 64 letters, digits, dots, dashes or underscores.', generate: 'Create a new key',
    keyText: 'The key’s text (evote-voter-secret:…)', importKey: 'Import the key', electionsTitle: 'Open elections',
    voteAs: 'Vote with the key', refresh: 'Refresh the list', review: 'Review my choices', cancel: 'Cancel', reviewTitle: 'Check your choices',
    auditExplain: 'You may audit this ballot first: it is then opened to show that it holds your choices, and never cast. A fresh encryption is made to cast.',
    cast: 'Cast my ballot', audit: 'Audit this ballot', change: 'Change my choices', auditedTitle: 'Audited ballot (not cast)',
    auditedIntro: 'This ballot was opened: its encryption holds the choices below. It will never be cast; anyone can check the audit file with evote ballot check-audit.',
    trackingCode: 'Tracking code', downloadAudit: 'Download the audit file', showAudit: 'Show the audit file (the ballot’s randomness)',
    backToReview: 'Back to my choices', castTitle: 'Your ballot', downloadReceipt: 'Download the receipt file',
    showReceipt: 'Show the receipt file', backToElections: 'Back to the elections', receiptsTitle: 'Your receipts',
    checkTitle: 'Check my ballot', receiptFile: 'A receipt file', orTrackingCode: 'or a tracking code', check: 'Check',
    noKeys: 'No key yet: add one below.', copy: (n) => `Copy the public key of ${n}`, qrShow: 'QR code for the officials', qrAlt: (n) => `QR code of the public key of ${n}`, copied: 'The public key is copied.', remove: (n) => `Remove ${n}`, removeAsk: (n) => `Remove the key ${n} from this wallet for good? Export the keystore first to keep a copy.`, removeYes: 'Remove it', removeNo: 'Keep it', removed: (n) => `The key ${n} is removed.`,
    noElections: 'No election is open for voting on this node.', vote: 'Vote', voteIn: (x) => `Vote in ${x}`,
    noReceipts: 'No ballot cast from this browser yet.', checkAgain: (c) => `Check ballot ${c}… now`,
    passShort: 'The passphrase must have at least 8 characters.', passDiffer: 'The two passphrases differ.',
    needFile: 'Choose a keystore file.', needName: 'Give the key a name.', needText: 'Paste the key’s text.', needCheck: 'Choose a receipt file or type a tracking code.',
    deriving: 'Deriving the key from your passphrase (this takes a few seconds)…', sealing: 'Sealing the wallet under your passphrase…',
    encrypting: 'Encrypting and proving your ballot…', submitting: 'Sending your ballot and waiting for its block…',
    checking: 'Checking the receipt in this browser…', loadingElection: 'Fetching the election…',
    created: 'The wallet is created. Add a key below.', imported: (n) => `Imported: ${n}.`, nothingNew: 'The file holds no key the wallet lacks.',
    keyAdded: (n) => `The key ${n} is added.`, locked: 'The wallet is locked.', idleLocked: 'The wallet locked itself after five minutes without activity.',
    notOnRoll: 'The node says this key is not on the election’s voter roll: the chain will refuse the ballot. Give your public key to the officials.',
    voted: (s, h) => `You have voted (ballot ${s} in block ${h}). A new ballot replaces it.`,
    votedNoRevote: (s, h) => `You have voted (ballot ${s} in block ${h}) and this election allows no second ballot.`,
    notOpen: 'This election is not open: the chain will refuse the ballot.',
    hintOne: 'Choose one option.', hintOneBlank: 'Choose one option, or leave the contest blank.',
    hintMany: (a, b) => a === b ? `Choose exactly ${a} options.` : `Choose between ${a} and ${b} options.`,
    hintPoints: (m, a, b) => `Give each option 0 to ${m} points; ${a} to ${b} points in all.`,
    blank: 'Leave blank', blankChosen: 'Blank', points: (n) => n === 1 ? '1 point' : `${n} points`,
    tooFew: (n, a) => `You chose ${n}; choose at least ${a}.`, tooMany: (n, b) => `You chose ${n}; choose at most ${b}.`,
    pointsFew: (n, a) => `You gave ${n} points; give at least ${a}.`, pointsMany: (n, b) => `You gave ${n} points; give at most ${b}.`,
    perOption: (m) => `An option takes at most ${m} points.`, fix: (c, m) => `${c}: ${m}`,
    changes: (n, m) => `The validators changed ${n} time(s) since the ones this browser trusts: the receipt proves each change, and the ${m} validator(s) in force signed the block.`,
    castOk: (h, n, chain) => `Cast and checked by this browser: your ballot is in block ${h}, whose commit is signed by more than 2/3 of the voting power of the ${n} validator(s) this browser trusts for chain ${chain}.`,
    nodeBadReceipt: (m) => `its receipt does not check out in this browser (${m})`,
    noAnswer: 'it did not answer',
    pending: 'The ballot was admitted but not committed in time. Check it later under Your receipts.',
    rejected: (name, num, sentence) => `The chain refused the ballot: ${name} (code ${num}). ${sentence}`,
    sendFailed: (m) => `The ballot could not be sent: ${m}`,
    tryingNext: (a, m, b) => `Node ${a} failed (${m}); sending the same ballot to node ${b}…`,
    castThrough: (o, why) => `It went through polling node ${o}, as the node you chose failed: ${why}.`,
    notConfirmed: (m) => `Your ballot is NOT confirmed: no polling node committed it (${m}). The signed ballot is kept in this browser: under Your receipts, Check sends it again.`,
    lostBallot: 'The node admitted the ballot, then lost it.',
    receiptOk: (h, seq, n) => `Checked by this browser: ballot ${seq} is in block ${h}, signed by more than 2/3 of the voting power of ${n} trusted validator(s).`,
    accepted: (h) => `Accepted: block ${h}, signed likewise, records that the chain accepted the ballot (code 0). It counts unless a later ballot of yours replaces it, which no receipt can rule out.`,
    inclusionOnly: 'This receipt proves that the ballot is in the block, not that the chain accepted it: it was made before receipts proved that.',
    counts: 'The node says it is the ballot that counts.', replaced: (s) => `The node says your later ballot ${s} replaced it: that one counts.`,
    receiptLine: (e, s, h) => `Election ${e}…, ballot ${s}, block ${h}`, receiptPending: (e, s) => `Election ${e}…, ballot ${s}, pending`,
    genesisChanged: (c, a, b) => `Do not vote through this node: its chain ${c} has the genesis fingerprint ${b}, but this browser knows chain ${c} with the fingerprint ${a}.`,
    anchorGiven: (n, f) => `Receipts are checked against the ${n} validator(s) of this chain’s genesis, whose fingerprint ${f} is the one you gave.`,
    genesisBadGiven: (m) => `Do not vote through this node: its chain is not the one whose fingerprint you gave (${m}).`,
    nodeOther: 'Vote through another polling node', nodeLabel: 'Address of the polling node', nodePin: 'Its chain’s genesis fingerprint (optional)',
    nodeGo: 'Show its elections', nodeHint: (list) => `This page may call these nodes: ${list}.`,
    nodeNow: (o) => `Elections of the polling node ${o}.`, nodeSelf: (o) => `Elections of this page’s polling node ${o}.`,
    nodeBadURL: 'Type the address of a polling node, such as https://node.example.org:8080.',
    nodeNotAllowed: (o, list) => `This page may not call ${o}: only ${list}, which this node’s operator names. To vote through ${o}, open its own wallet page, after exporting your keystore here to import it there.`,
    badPin: 'A genesis fingerprint is 64 hexadecimal digits.',
    nodeUnreachable: (o, m) => `The polling node ${o} did not answer (${m}): it may be down, or not let this page call it.`,
    anchorGenesis: (n, f) => `Receipts are checked against the ${n} validator(s) of this chain’s genesis, whose fingerprint is ${f}: compare it with the one the election’s organisers publish.`,
    anchorPinned: (n, f) => `Receipts are checked against the ${n} validator(s) of this chain’s genesis, whose fingerprint ${f} is the one in this page’s address.`,
    genesisBad: (m) => `Do not vote through this node: its chain is not the one this page’s address names (${m}).`,
    noTrust: 'This browser has no validators to check receipts against: refresh the list of elections.',
    unavailable: (m) => `The wallet cannot run in this browser: ${m}`,
    nodeError: (m) => `The node answered with an error: ${m}`,
    errors: {
      passphrase: 'The passphrase is wrong, or the file was changed.', sealed: 'This is not a keystore file of evote.',
      keystore: 'The keystore is damaged or not a keystore of evote.', key_name: 'The name may have 1 to 64 letters, digits, dots, dashes or underscores, and not start with a dot or a dash.',
      key_exists: 'The wallet already has a key of that name, or that very key.', no_key: 'The wallet has no such key.',
      invalid_key: 'This is not a voter key (evote-voter-secret:…), or the election’s key is not valid.',
      invalid_manifest: 'The node’s election does not match its id: the node is not to be trusted.',
      invalid_choice: 'The choices break the contest’s rules.', bad_receipt: 'The receipt does not check out.',
      rejected_receipt: 'The chain refused this ballot in its block: it does not count.', incomplete_receipt: 'The proof that the ballot was accepted comes with the next block: check again in a moment.',
      locked: 'The wallet is locked.', no_election: 'Choose an election first.', unavailable: 'The wallet could not load.',
      genesis: 'The node’s chain is not the one this page’s address names.', failed: 'The operation failed.',
    },
    codes: {
      'not-on-roll': 'Your key is not on this election’s voter roll: give your public key to the officials.',
      'not-open': 'The election is not open for voting.', closed: 'The election is closed.',
      'already-voted': 'You have already voted, and this election does not allow a second ballot.',
      'stale-sequence': 'A later ballot of yours is already on the chain: reload the page and vote again.',
      duplicate: 'This very ballot was already sent.', 'bad-proof': 'The ballot’s proofs do not verify.',
      'bad-signature': 'The ballot’s signature does not verify.', 'unknown-election': 'The chain does not know this election.',
      'ballot-mismatch': 'The ballot does not fit the election’s contests.', malformed: 'The chain could not read the ballot.',
      oversized: 'The ballot is too large.', other: 'Your vote was not recorded.',
    },
  },
  fr: {
    home: 'Nœud de vote', title: 'Portefeuille de vote', language: 'Langue', problem: 'Il y a un problème', loading: 'Chargement du portefeuille…',
    setupTitle: 'Créer votre portefeuille',
    setupIntro: 'Vos clés de votant restent dans ce navigateur, scellées sous une phrase secrète que vous seul connaissez. Rien de secret n’est jamais envoyé au nœud.',
    passphrase: 'Phrase secrète', passphraseAgain: 'Phrase secrète, à nouveau', create: 'Créer le portefeuille',
    importFileTitle: 'Ou importer un fichier de clés', importFileIntro: 'Un fichier de clés écrit par evote wallet ; le portefeuille le garde ensuite sous sa phrase secrète.',
    keystoreFile: 'Fichier de clés', filePassphrase: 'La phrase secrète du fichier', importFile: 'Importer le fichier',
    unlockTitle: 'Déverrouiller votre portefeuille', unlock: 'Déverrouiller', keysTitle: 'Vos clés',
    keysIntro: 'Donnez la clé publique (evote-voter:…) aux organisateurs du scrutin pour qu’ils l’inscrivent sur la liste électorale.',
    lock: 'Verrouiller le portefeuille', export: 'Exporter le fichier de clés', manageKeys: 'Ajouter une clé', newKeyTitle: 'Une nouvelle clé', importTextTitle: 'Une clé par son texte', importFileTitle2: 'Les clés d’un fichier de clés', keyName: 'Nom de la clé',
    nameHint: '1 à 64 lettres, chiffres, points, tirets ou soulignés.', generate: 'Créer une nouvelle clé',
    keyText: 'Le texte de la clé (evote-voter-secret:…)', importKey: 'Importer la clé', electionsTitle: 'Scrutins ouverts',
    voteAs: 'Voter avec la clé', refresh: 'Actualiser la liste', review: 'Relire mes choix', cancel: 'Annuler', reviewTitle: 'Vérifiez vos choix',
    auditExplain: 'Vous pouvez d’abord auditer ce bulletin : il est alors ouvert pour montrer qu’il contient vos choix, et n’est jamais déposé. Un nouveau chiffrement est fait pour voter.',
    cast: 'Déposer mon bulletin', audit: 'Auditer ce bulletin', change: 'Modifier mes choix', auditedTitle: 'Bulletin audité (non déposé)',
    auditedIntro: 'Ce bulletin a été ouvert : son chiffrement contient les choix ci-dessous. Il ne sera jamais déposé ; chacun peut vérifier le fichier d’audit avec evote ballot check-audit.',
    trackingCode: 'Code de suivi', downloadAudit: 'Télécharger le fichier d’audit', showAudit: 'Afficher le fichier d’audit (l’aléa du bulletin)',
    backToReview: 'Revenir à mes choix', castTitle: 'Votre bulletin', downloadReceipt: 'Télécharger le reçu',
    showReceipt: 'Afficher le reçu', backToElections: 'Revenir aux scrutins', receiptsTitle: 'Vos reçus',
    checkTitle: 'Vérifier mon bulletin', receiptFile: 'Un fichier de reçu', orTrackingCode: 'ou un code de suivi', check: 'Vérifier',
    noKeys: 'Aucune clé pour l’instant : ajoutez-en une ci-dessous.', copy: (n) => `Copier la clé publique de ${n}`, qrShow: 'Code QR pour les responsables du scrutin', qrAlt: (n) => `Code QR de la clé publique de ${n}`, copied: 'La clé publique est copiée.', remove: (n) => `Retirer ${n}`, removeAsk: (n) => `Retirer définitivement la clé ${n} de ce portefeuille ? Exportez d’abord le fichier de clés pour en garder une copie.`, removeYes: 'La retirer', removeNo: 'La garder', removed: (n) => `La clé ${n} est retirée.`,
    noElections: 'Aucun scrutin n’est ouvert au vote sur ce nœud.', vote: 'Voter', voteIn: (x) => `Voter : ${x}`,
    noReceipts: 'Aucun bulletin déposé depuis ce navigateur pour l’instant.', checkAgain: (c) => `Vérifier le bulletin ${c}… maintenant`,
    passShort: 'La phrase secrète doit compter au moins 8 caractères.', passDiffer: 'Les deux phrases secrètes diffèrent.',
    needFile: 'Choisissez un fichier de clés.', needName: 'Donnez un nom à la clé.', needText: 'Collez le texte de la clé.', needCheck: 'Choisissez un reçu ou saisissez un code de suivi.',
    deriving: 'Dérivation de la clé depuis votre phrase secrète (quelques secondes)…', sealing: 'Scellement du portefeuille sous votre phrase secrète…',
    encrypting: 'Chiffrement et preuves de votre bulletin…', submitting: 'Envoi de votre bulletin, en attente de son bloc…',
    checking: 'Vérification du reçu dans ce navigateur…', loadingElection: 'Récupération du scrutin…',
    created: 'Le portefeuille est créé. Ajoutez une clé ci-dessous.', imported: (n) => `Importé : ${n}.`, nothingNew: 'Le fichier ne contient aucune clé nouvelle.',
    keyAdded: (n) => `La clé ${n} est ajoutée.`, locked: 'Le portefeuille est verrouillé.', idleLocked: 'Le portefeuille s’est verrouillé après cinq minutes d’inactivité.',
    notOnRoll: 'Le nœud indique que cette clé n’est pas sur la liste électorale : la chaîne refusera le bulletin. Donnez votre clé publique aux organisateurs.',
    voted: (s, h) => `Vous avez voté (bulletin ${s} au bloc ${h}). Un nouveau bulletin le remplace.`,
    votedNoRevote: (s, h) => `Vous avez voté (bulletin ${s} au bloc ${h}) et ce scrutin n’admet pas de second bulletin.`,
    notOpen: 'Ce scrutin n’est pas ouvert : la chaîne refusera le bulletin.',
    hintOne: 'Choisissez une option.', hintOneBlank: 'Choisissez une option, ou laissez la question en blanc.',
    hintMany: (a, b) => a === b ? `Choisissez exactement ${a} options.` : `Choisissez entre ${a} et ${b} options.`,
    hintPoints: (m, a, b) => `Donnez à chaque option de 0 à ${m} points ; de ${a} à ${b} points au total.`,
    blank: 'Laisser en blanc', blankChosen: 'Blanc', points: (n) => n === 1 ? '1 point' : `${n} points`,
    tooFew: (n, a) => `Vous avez choisi ${n} ; choisissez-en au moins ${a}.`, tooMany: (n, b) => `Vous avez choisi ${n} ; choisissez-en au plus ${b}.`,
    pointsFew: (n, a) => `Vous avez donné ${n} points ; donnez-en au moins ${a}.`, pointsMany: (n, b) => `Vous avez donné ${n} points ; donnez-en au plus ${b}.`,
    perOption: (m) => `Une option reçoit au plus ${m} points.`, fix: (c, m) => `${c} : ${m}`,
    changes: (n, m) => `Les validateurs ont changé ${n} fois depuis ceux auxquels ce navigateur se fie : le reçu prouve chaque changement, et les ${m} validateur(s) en fonction ont signé le bloc.`,
    castOk: (h, n, chain) => `Déposé et vérifié par ce navigateur : votre bulletin est dans le bloc ${h}, dont la validation est signée par plus des 2/3 du pouvoir de vote des ${n} validateur(s) auxquels ce navigateur se fie pour la chaîne ${chain}.`,
    nodeBadReceipt: (m) => `son reçu ne se vérifie pas dans ce navigateur (${m})`,
    noAnswer: 'il n’a pas répondu',
    pending: 'Le bulletin a été admis mais pas encore inscrit dans un bloc. Vérifiez-le plus tard sous Vos reçus.',
    rejected: (name, num, sentence) => `La chaîne a refusé le bulletin : ${name} (code ${num}). ${sentence}`,
    sendFailed: (m) => `Le bulletin n’a pas pu être envoyé : ${m}`,
    tryingNext: (a, m, b) => `Le nœud ${a} a échoué (${m}) ; envoi du même bulletin au nœud ${b}…`,
    castThrough: (o, why) => `Il est passé par le nœud de vote ${o}, car le nœud choisi a échoué : ${why}.`,
    notConfirmed: (m) => `Votre bulletin n’est PAS confirmé : aucun nœud de vote ne l’a inscrit (${m}). Le bulletin signé est gardé dans ce navigateur : sous Vos reçus, Vérifier l’envoie de nouveau.`,
    lostBallot: 'Le nœud a admis le bulletin, puis l’a perdu.',
    receiptOk: (h, seq, n) => `Vérifié par ce navigateur : le bulletin ${seq} est dans le bloc ${h}, signé par plus des 2/3 du pouvoir de vote de ${n} validateur(s) de confiance.`,
    accepted: (h) => `Accepté : le bloc ${h}, signé de même, atteste que la chaîne a accepté le bulletin (code 0). Il compte, sauf si un bulletin que vous déposez plus tard le remplace, ce qu’aucun reçu ne peut exclure.`,
    inclusionOnly: 'Ce reçu prouve que le bulletin est dans le bloc, pas que la chaîne l’a accepté : il date d’avant que les reçus le prouvent.',
    counts: 'Le nœud indique que c’est le bulletin qui compte.', replaced: (s) => `Le nœud indique que votre bulletin ${s}, plus récent, l’a remplacé : c’est lui qui compte.`,
    receiptLine: (e, s, h) => `Scrutin ${e}…, bulletin ${s}, bloc ${h}`, receiptPending: (e, s) => `Scrutin ${e}…, bulletin ${s}, en attente`,
    genesisChanged: (c, a, b) => `Ne votez pas par ce nœud : sa chaîne ${c} a l’empreinte de genèse ${b}, mais ce navigateur connaît la chaîne ${c} avec l’empreinte ${a}.`,
    anchorGiven: (n, f) => `Les reçus sont vérifiés avec les ${n} validateur(s) de la genèse de cette chaîne, dont l’empreinte ${f} est celle que vous avez donnée.`,
    genesisBadGiven: (m) => `Ne votez pas par ce nœud : sa chaîne n’est pas celle dont vous avez donné l’empreinte (${m}).`,
    nodeOther: 'Voter par un autre nœud de vote', nodeLabel: 'Adresse du nœud de vote', nodePin: 'L’empreinte de genèse de sa chaîne (facultatif)',
    nodeGo: 'Afficher ses scrutins', nodeHint: (list) => `Cette page peut appeler ces nœuds : ${list}.`,
    nodeNow: (o) => `Scrutins du nœud de vote ${o}.`, nodeSelf: (o) => `Scrutins du nœud de vote de cette page, ${o}.`,
    nodeBadURL: 'Saisissez l’adresse d’un nœud de vote, par exemple https://noeud.example.org:8080.',
    nodeNotAllowed: (o, list) => `Cette page ne peut pas appeler ${o} : seulement ${list}, que nomme l’opérateur de ce nœud. Pour voter par ${o}, ouvrez sa propre page de portefeuille, après avoir exporté ici votre fichier de clés pour l’y importer.`,
    badPin: 'Une empreinte de genèse compte 64 chiffres hexadécimaux.',
    nodeUnreachable: (o, m) => `Le nœud de vote ${o} n’a pas répondu (${m}) : il est peut-être arrêté, ou ne laisse pas cette page l’appeler.`,
    anchorGenesis: (n, f) => `Les reçus sont vérifiés avec les ${n} validateur(s) de la genèse de cette chaîne, d’empreinte ${f} : comparez-la avec celle que publient les organisateurs du scrutin.`,
    anchorPinned: (n, f) => `Les reçus sont vérifiés avec les ${n} validateur(s) de la genèse de cette chaîne, dont l’empreinte ${f} est celle de l’adresse de cette page.`,
    genesisBad: (m) => `Ne votez pas par ce nœud : sa chaîne n’est pas celle que nomme l’adresse de cette page (${m}).`,
    noTrust: 'Ce navigateur n’a aucun validateur avec lequel vérifier les reçus : actualisez la liste des scrutins.',
    unavailable: (m) => `Le portefeuille ne peut pas fonctionner dans ce navigateur : ${m}`,
    nodeError: (m) => `Le nœud a répondu par une erreur : ${m}`,
    errors: {
      passphrase: 'La phrase secrète est fausse, ou le fichier a été modifié.', sealed: 'Ce n’est pas un fichier de clés d’evote.',
      keystore: 'Le fichier de clés est abîmé ou n’est pas d’evote.', key_name: 'Le nom compte 1 à 64 lettres, chiffres, points, tirets ou soulignés, sans commencer par un point ni un tiret.',
      key_exists: 'Le portefeuille a déjà une clé de ce nom, ou cette même clé.', no_key: 'Le portefeuille n’a pas cette clé.',
      invalid_key: 'Ce n’est pas une clé de votant (evote-voter-secret:…), ou la clé du scrutin n’est pas valide.',
      invalid_manifest: 'Le scrutin du nœud ne correspond pas à son identifiant : ne vous fiez pas au nœud.',
      invalid_choice: 'Les choix enfreignent les règles de la question.', bad_receipt: 'Le reçu ne se vérifie pas.',
      rejected_receipt: 'La chaîne a refusé ce bulletin dans son bloc : il ne compte pas.', incomplete_receipt: 'La preuve que le bulletin a été accepté vient avec le bloc suivant : vérifiez de nouveau dans un instant.',
      locked: 'Le portefeuille est verrouillé.', no_election: 'Choisissez d’abord un scrutin.', unavailable: 'Le portefeuille n’a pas pu se charger.',
      genesis: 'La chaîne du nœud n’est pas celle que nomme l’adresse de cette page.', failed: 'L’opération a échoué.',
    },
    codes: {
      'not-on-roll': 'Votre clé n’est pas sur la liste électorale de ce scrutin : donnez votre clé publique aux organisateurs.',
      'not-open': 'Le scrutin n’est pas ouvert au vote.', closed: 'Le scrutin est clos.',
      'already-voted': 'Vous avez déjà voté, et ce scrutin n’admet pas de second bulletin.',
      'stale-sequence': 'Un bulletin plus récent de votre part est déjà sur la chaîne : rechargez la page et votez à nouveau.',
      duplicate: 'Ce même bulletin a déjà été envoyé.', 'bad-proof': 'Les preuves du bulletin ne se vérifient pas.',
      'bad-signature': 'La signature du bulletin ne se vérifie pas.', 'unknown-election': 'La chaîne ne connaît pas ce scrutin.',
      'ballot-mismatch': 'Le bulletin ne correspond pas aux questions du scrutin.', malformed: 'La chaîne n’a pas pu lire le bulletin.',
      oversized: 'Le bulletin est trop grand.', other: 'Votre vote n’a pas été enregistré.',
    },
  },
  de: {
    home: 'Wahlknoten', title: 'Wahl-Wallet', language: 'Sprache', problem: 'Es gibt ein Problem', loading: 'Die Wallet wird geladen…',
    setupTitle: 'Ihre Wallet anlegen',
    setupIntro: 'Ihre Wählerschlüssel bleiben in diesem Browser, versiegelt mit einer Passphrase, die nur Sie kennen. Nichts Geheimes wird je an den Knoten gesendet.',
    passphrase: 'Passphrase', passphraseAgain: 'Passphrase wiederholen', create: 'Wallet anlegen',
    importFileTitle: 'Oder eine Schlüsseldatei importieren', importFileIntro: 'Eine von evote wallet geschriebene Schlüsseldatei; die Wallet bewahrt sie dann unter ihrer Passphrase auf.',
    keystoreFile: 'Schlüsseldatei', filePassphrase: 'Die Passphrase der Datei', importFile: 'Datei importieren',
    unlockTitle: 'Ihre Wallet entsperren', unlock: 'Entsperren', keysTitle: 'Ihre Schlüssel',
    keysIntro: 'Geben Sie den öffentlichen Schlüssel (evote-voter:…) den Wahlverantwortlichen, damit sie ihn ins Wählerverzeichnis eintragen.',
    lock: 'Wallet sperren', export: 'Schlüsseldatei exportieren', manageKeys: 'Schlüssel hinzufügen', newKeyTitle: 'Ein neuer Schlüssel', importTextTitle: 'Ein Schlüssel aus seinem Text', importFileTitle2: 'Die Schlüssel einer Schlüsseldatei', keyName: 'Name des Schlüssels',
    nameHint: '1 bis 64 Buchstaben, Ziffern, Punkte, Binde- oder Unterstriche.', generate: 'Neuen Schlüssel erzeugen',
    keyText: 'Der Text des Schlüssels (evote-voter-secret:…)', importKey: 'Schlüssel importieren', electionsTitle: 'Offene Wahlen',
    voteAs: 'Wählen mit dem Schlüssel', refresh: 'Liste aktualisieren', review: 'Auswahl prüfen', cancel: 'Abbrechen', reviewTitle: 'Prüfen Sie Ihre Auswahl',
    auditExplain: 'Sie können diesen Stimmzettel zuerst prüfen: er wird dann geöffnet, um zu zeigen, dass er Ihre Auswahl enthält, und nie abgegeben. Zur Abgabe wird neu verschlüsselt.',
    cast: 'Stimmzettel abgeben', audit: 'Diesen Stimmzettel prüfen', change: 'Auswahl ändern', auditedTitle: 'Geprüfter Stimmzettel (nicht abgegeben)',
    auditedIntro: 'Dieser Stimmzettel wurde geöffnet: seine Verschlüsselung enthält die Auswahl unten. Er wird nie abgegeben; jeder kann die Prüfdatei mit evote ballot check-audit prüfen.',
    trackingCode: 'Verfolgungscode', downloadAudit: 'Prüfdatei herunterladen', showAudit: 'Prüfdatei anzeigen (der Zufall des Stimmzettels)',
    backToReview: 'Zurück zur Auswahl', castTitle: 'Ihr Stimmzettel', downloadReceipt: 'Beleg herunterladen',
    showReceipt: 'Beleg anzeigen', backToElections: 'Zurück zu den Wahlen', receiptsTitle: 'Ihre Belege',
    checkTitle: 'Meinen Stimmzettel prüfen', receiptFile: 'Eine Belegdatei', orTrackingCode: 'oder ein Verfolgungscode', check: 'Prüfen',
    noKeys: 'Noch kein Schlüssel: fügen Sie unten einen hinzu.', copy: (n) => `Öffentlichen Schlüssel von ${n} kopieren`, qrShow: 'QR-Code für die Wahlleitung', qrAlt: (n) => `QR-Code des öffentlichen Schlüssels von ${n}`, copied: 'Der öffentliche Schlüssel ist kopiert.', remove: (n) => `${n} entfernen`, removeAsk: (n) => `Den Schlüssel ${n} endgültig aus dieser Wallet entfernen? Exportieren Sie vorher die Schlüsseldatei, um eine Kopie zu behalten.`, removeYes: 'Entfernen', removeNo: 'Behalten', removed: (n) => `Der Schlüssel ${n} ist entfernt.`,
    noElections: 'Auf diesem Knoten ist keine Wahl offen.', vote: 'Wählen', voteIn: (x) => `Wählen: ${x}`,
    noReceipts: 'Aus diesem Browser wurde noch kein Stimmzettel abgegeben.', checkAgain: (c) => `Stimmzettel ${c}… jetzt prüfen`,
    passShort: 'Die Passphrase muss mindestens 8 Zeichen haben.', passDiffer: 'Die beiden Passphrasen unterscheiden sich.',
    needFile: 'Wählen Sie eine Schlüsseldatei.', needName: 'Geben Sie dem Schlüssel einen Namen.', needText: 'Fügen Sie den Text des Schlüssels ein.', needCheck: 'Wählen Sie eine Belegdatei oder geben Sie einen Verfolgungscode ein.',
    deriving: 'Der Schlüssel wird aus Ihrer Passphrase abgeleitet (einige Sekunden)…', sealing: 'Die Wallet wird unter Ihrer Passphrase versiegelt…',
    encrypting: 'Ihr Stimmzettel wird verschlüsselt und bewiesen…', submitting: 'Ihr Stimmzettel wird gesendet; warten auf seinen Block…',
    checking: 'Der Beleg wird in diesem Browser geprüft…', loadingElection: 'Die Wahl wird abgerufen…',
    created: 'Die Wallet ist angelegt. Fügen Sie unten einen Schlüssel hinzu.', imported: (n) => `Importiert: ${n}.`, nothingNew: 'Die Datei enthält keinen neuen Schlüssel.',
    keyAdded: (n) => `Der Schlüssel ${n} ist hinzugefügt.`, locked: 'Die Wallet ist gesperrt.', idleLocked: 'Die Wallet hat sich nach fünf Minuten ohne Aktivität gesperrt.',
    notOnRoll: 'Laut Knoten steht dieser Schlüssel nicht im Wählerverzeichnis: die Kette wird den Stimmzettel ablehnen. Geben Sie Ihren öffentlichen Schlüssel den Verantwortlichen.',
    voted: (s, h) => `Sie haben gewählt (Stimmzettel ${s} in Block ${h}). Ein neuer Stimmzettel ersetzt ihn.`,
    votedNoRevote: (s, h) => `Sie haben gewählt (Stimmzettel ${s} in Block ${h}) und diese Wahl erlaubt keinen zweiten Stimmzettel.`,
    notOpen: 'Diese Wahl ist nicht offen: die Kette wird den Stimmzettel ablehnen.',
    hintOne: 'Wählen Sie eine Option.', hintOneBlank: 'Wählen Sie eine Option oder lassen Sie die Frage leer.',
    hintMany: (a, b) => a === b ? `Wählen Sie genau ${a} Optionen.` : `Wählen Sie zwischen ${a} und ${b} Optionen.`,
    hintPoints: (m, a, b) => `Geben Sie jeder Option 0 bis ${m} Punkte; insgesamt ${a} bis ${b} Punkte.`,
    blank: 'Leer lassen', blankChosen: 'Leer', points: (n) => n === 1 ? '1 Punkt' : `${n} Punkte`,
    tooFew: (n, a) => `Sie haben ${n} gewählt; wählen Sie mindestens ${a}.`, tooMany: (n, b) => `Sie haben ${n} gewählt; wählen Sie höchstens ${b}.`,
    pointsFew: (n, a) => `Sie haben ${n} Punkte vergeben; vergeben Sie mindestens ${a}.`, pointsMany: (n, b) => `Sie haben ${n} Punkte vergeben; vergeben Sie höchstens ${b}.`,
    perOption: (m) => `Eine Option erhält höchstens ${m} Punkte.`, fix: (c, m) => `${c}: ${m}`,
    changes: (n, m) => `Die Validatoren haben sich seit denen, welchen dieser Browser vertraut, ${n}-mal geändert: der Beleg beweist jede Änderung, und die ${m} amtierenden Validatoren haben den Block signiert.`,
    castOk: (h, n, chain) => `Abgegeben und von diesem Browser geprüft: Ihr Stimmzettel ist in Block ${h}, dessen Commit von mehr als 2/3 der Stimmkraft der ${n} Validatoren signiert ist, denen dieser Browser für die Kette ${chain} vertraut.`,
    nodeBadReceipt: (m) => `sein Beleg besteht die Prüfung in diesem Browser nicht (${m})`,
    noAnswer: 'er hat nicht geantwortet',
    pending: 'Der Stimmzettel wurde angenommen, aber noch nicht in einen Block aufgenommen. Prüfen Sie ihn später unter Ihre Belege.',
    rejected: (name, num, sentence) => `Die Kette hat den Stimmzettel abgelehnt: ${name} (Code ${num}). ${sentence}`,
    sendFailed: (m) => `Der Stimmzettel konnte nicht gesendet werden: ${m}`,
    tryingNext: (a, m, b) => `Knoten ${a} ist ausgefallen (${m}); derselbe Stimmzettel geht an Knoten ${b}…`,
    castThrough: (o, why) => `Er ging über den Wahlknoten ${o}, da der gewählte Knoten ausgefallen ist: ${why}.`,
    notConfirmed: (m) => `Ihr Stimmzettel ist NICHT bestätigt: kein Wahlknoten hat ihn aufgenommen (${m}). Der signierte Stimmzettel bleibt in diesem Browser: unter Ihre Belege sendet Prüfen ihn erneut.`,
    lostBallot: 'Der Knoten hat den Stimmzettel angenommen und dann verloren.',
    receiptOk: (h, seq, n) => `Von diesem Browser geprüft: Stimmzettel ${seq} ist in Block ${h}, signiert von mehr als 2/3 der Stimmkraft von ${n} vertrauten Validatoren.`,
    accepted: (h) => `Angenommen: Block ${h}, ebenso signiert, belegt, dass die Kette den Stimmzettel angenommen hat (Code 0). Er zählt, sofern ihn nicht ein späterer Stimmzettel von Ihnen ersetzt, was kein Beleg ausschließen kann.`,
    inclusionOnly: 'Dieser Beleg beweist, dass der Stimmzettel im Block ist, nicht dass die Kette ihn angenommen hat: er stammt aus der Zeit, bevor Belege das bewiesen.',
    counts: 'Laut Knoten ist es der Stimmzettel, der zählt.', replaced: (s) => `Laut Knoten hat Ihr späterer Stimmzettel ${s} ihn ersetzt: jener zählt.`,
    receiptLine: (e, s, h) => `Wahl ${e}…, Stimmzettel ${s}, Block ${h}`, receiptPending: (e, s) => `Wahl ${e}…, Stimmzettel ${s}, ausstehend`,
    genesisChanged: (c, a, b) => `Wählen Sie nicht über diesen Knoten: seine Kette ${c} hat den Genesis-Fingerabdruck ${b}, dieser Browser kennt die Kette ${c} aber mit dem Fingerabdruck ${a}.`,
    anchorGiven: (n, f) => `Belege werden gegen die ${n} Validatoren der Genesis dieser Kette geprüft, deren Fingerabdruck ${f} der von Ihnen angegebene ist.`,
    genesisBadGiven: (m) => `Wählen Sie nicht über diesen Knoten: seine Kette ist nicht die, deren Fingerabdruck Sie angegeben haben (${m}).`,
    nodeOther: 'Über einen anderen Wahlknoten wählen', nodeLabel: 'Adresse des Wahlknotens', nodePin: 'Genesis-Fingerabdruck seiner Kette (optional)',
    nodeGo: 'Seine Wahlen anzeigen', nodeHint: (list) => `Diese Seite darf diese Knoten aufrufen: ${list}.`,
    nodeNow: (o) => `Wahlen des Wahlknotens ${o}.`, nodeSelf: (o) => `Wahlen des Wahlknotens dieser Seite, ${o}.`,
    nodeBadURL: 'Geben Sie die Adresse eines Wahlknotens ein, etwa https://knoten.example.org:8080.',
    nodeNotAllowed: (o, list) => `Diese Seite darf ${o} nicht aufrufen: nur ${list}, die der Betreiber dieses Knotens nennt. Um über ${o} zu wählen, öffnen Sie dessen eigene Wallet-Seite, nachdem Sie hier Ihre Schlüsseldatei exportiert haben, um sie dort zu importieren.`,
    badPin: 'Ein Genesis-Fingerabdruck hat 64 Hexadezimalziffern.',
    nodeUnreachable: (o, m) => `Der Wahlknoten ${o} hat nicht geantwortet (${m}): er ist vielleicht aus, oder lässt diese Seite ihn nicht aufrufen.`,
    anchorGenesis: (n, f) => `Belege werden gegen die ${n} Validatoren der Genesis dieser Kette geprüft, Fingerabdruck ${f}: vergleichen Sie ihn mit dem von den Veranstaltern veröffentlichten.`,
    anchorPinned: (n, f) => `Belege werden gegen die ${n} Validatoren der Genesis dieser Kette geprüft, deren Fingerabdruck ${f} der in der Adresse dieser Seite ist.`,
    genesisBad: (m) => `Wählen Sie nicht über diesen Knoten: seine Kette ist nicht die, die die Adresse dieser Seite nennt (${m}).`,
    noTrust: 'Dieser Browser hat keine Validatoren, gegen die er Belege prüfen kann: aktualisieren Sie die Liste der Wahlen.',
    unavailable: (m) => `Die Wallet kann in diesem Browser nicht laufen: ${m}`,
    nodeError: (m) => `Der Knoten hat mit einem Fehler geantwortet: ${m}`,
    errors: {
      passphrase: 'Die Passphrase ist falsch, oder die Datei wurde verändert.', sealed: 'Das ist keine Schlüsseldatei von evote.',
      keystore: 'Die Schlüsseldatei ist beschädigt oder nicht von evote.', key_name: 'Der Name hat 1 bis 64 Buchstaben, Ziffern, Punkte, Binde- oder Unterstriche und beginnt nicht mit Punkt oder Bindestrich.',
      key_exists: 'Die Wallet hat schon einen Schlüssel dieses Namens oder genau diesen Schlüssel.', no_key: 'Die Wallet hat diesen Schlüssel nicht.',
      invalid_key: 'Das ist kein Wählerschlüssel (evote-voter-secret:…), oder der Schlüssel der Wahl ist ungültig.',
      invalid_manifest: 'Die Wahl des Knotens passt nicht zu ihrer Kennung: vertrauen Sie dem Knoten nicht.',
      invalid_choice: 'Die Auswahl verletzt die Regeln der Frage.', bad_receipt: 'Der Beleg besteht die Prüfung nicht.',
      rejected_receipt: 'Die Kette hat diesen Stimmzettel in seinem Block abgelehnt: er zählt nicht.', incomplete_receipt: 'Der Beweis, dass der Stimmzettel angenommen wurde, kommt mit dem nächsten Block: prüfen Sie gleich noch einmal.',
      locked: 'Die Wallet ist gesperrt.', no_election: 'Wählen Sie zuerst eine Wahl.', unavailable: 'Die Wallet konnte nicht geladen werden.',
      genesis: 'Die Kette des Knotens ist nicht die, die die Adresse dieser Seite nennt.', failed: 'Der Vorgang ist fehlgeschlagen.',
    },
    codes: {
      'not-on-roll': 'Ihr Schlüssel steht nicht im Wählerverzeichnis dieser Wahl: geben Sie Ihren öffentlichen Schlüssel den Verantwortlichen.',
      'not-open': 'Die Wahl ist nicht offen.', closed: 'Die Wahl ist geschlossen.',
      'already-voted': 'Sie haben schon gewählt, und diese Wahl erlaubt keinen zweiten Stimmzettel.',
      'stale-sequence': 'Ein späterer Stimmzettel von Ihnen ist schon auf der Kette: laden Sie die Seite neu und wählen Sie erneut.',
      duplicate: 'Genau dieser Stimmzettel wurde schon gesendet.', 'bad-proof': 'Die Beweise des Stimmzettels sind ungültig.',
      'bad-signature': 'Die Signatur des Stimmzettels ist ungültig.', 'unknown-election': 'Die Kette kennt diese Wahl nicht.',
      'ballot-mismatch': 'Der Stimmzettel passt nicht zu den Fragen der Wahl.', malformed: 'Die Kette konnte den Stimmzettel nicht lesen.',
      oversized: 'Der Stimmzettel ist zu groß.', other: 'Ihre Stimme wurde nicht erfasst.',
    },
  },
};

const { $, el, worker, store, b64ToBytes, bytesToB64, setDownload, problem, notice, busy, pickLang: pickSupported } = window.evoteUI;
const IDLE_MS = (Number(new URLSearchParams(location.search).get('idle')) || 300) * 1000;
const SECTIONS = ['s-loading', 's-setup', 's-unlock', 's-keys', 's-elections', 's-ballot', 's-review', 's-audited', 's-cast', 's-receipts'];
const MAIN = ['s-keys', 's-elections', 's-receipts'];

const state = {
  lang: 'en', unlocked: false, keys: [], sealed: '', hasKeystore: false,
  chainID: '', trusted: null, elections: [], node: '', nodePin: '', peers: [],
  el: null, summary: null, key: '', seq: 1, choices: null, view: [], timings: {},
};
window.evoteWalletState = state; // read by the browser tests (public data and timings only)
let passphrase = ''; // while unlocked, to reseal the keystore after a change; never in state
let receipts = []; // while unlocked: the receipts, kept sealed under the passphrase

function t(key, ...args) {
  const v = UI[state.lang][key] ?? UI.en[key];
  return typeof v === 'function' ? v(...args) : v;
}
function errText(code) { return UI[state.lang].errors[code] || UI.en.errors[code] || UI[state.lang].errors.failed; }
function codeText(name) { return UI[state.lang].codes[name] || UI[state.lang].codes.other; }

// ---- the worker ----
// The module runs in module-worker.js, which checks its SRI value (from
// the page's meta tag): a module changed on the way is refused.
const call = worker('wallet');
async function busyCall(text, op, args) {
  busy(text);
  try { return await call(op, args); } finally { busy(''); }
}

// ---- IndexedDB: the sealed keystore, the receipts, the trusted validators ----
const db = store('evote-wallet');
const idbGet = db.get;
const idbPut = db.put;

// ---- messages ----
function clearMessages() { problem([]); notice(''); }
function failed(answer, field) { problem([{ text: errText(answer.error), href: field ? '#' + field : '' }]); }

function show(...ids) {
  for (const s of SECTIONS) $(s).hidden = !ids.includes(s);
}

// ---- bytes ----
async function fileB64(input) { const f = input.files[0]; return f ? bytesToB64(new Uint8Array(await f.arrayBuffer())) : ''; }

// ---- language ----
function pickLang() { return pickSupported(UI); }
function applyLang() {
  document.documentElement.lang = state.lang;
  $('lang').value = state.lang;
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  document.title = t('title') + ' – evote';
  renderKeys();
  renderNodes();
  renderAnchor();
  renderElections();
  renderReceipts();
  if (state.el && !$('s-ballot').hidden) renderBallot(readRaw());
  if (state.choices && !$('s-review').hidden) renderReview();
}
// The manifest's texts are shown in the page's language where the manifest
// has it, else in the first of the browser's languages it has, else in its
// first language.
function textLangs() {
  const nav = (navigator.languages || []).map((l) => l.slice(0, 2));
  return [state.lang, ...nav, ...(state.el ? state.el.manifest.languages || [] : [])];
}
function textLang(tx) {
  if (!tx) return state.lang;
  return textLangs().find((l) => tx[l] != null) || Object.keys(tx)[0] || state.lang;
}
function text(tx) {
  if (!tx) return '';
  const l = textLang(tx);
  return tx[l] != null ? tx[l] : '';
}

// ---- the keystore ----
async function seal() {
  const a = await busyCall(t('sealing'), 'seal', { passphrase });
  if (!a.ok) { failed(a); return false; }
  state.timings.sealMs = a.ms;
  state.sealed = bytesToB64(b64ToBytes(a.sealed));
  await idbPut('keystore', state.sealed);
  state.hasKeystore = true;
  setDownload($('export'), b64ToBytes(state.sealed), 'evote-wallet.keystore', 'application/octet-stream');
  return true;
}
function unlocked(keys) {
  state.unlocked = true;
  state.keys = keys || [];
  renderKeys();
  show(...MAIN);
  refreshElections();
  renderReceipts();
  touch();
}
async function lock(why) {
  await call('lock', {});
  Object.assign(state, { unlocked: false, keys: [], el: null, choices: null });
  passphrase = '';
  receipts = [];
  for (const id of ['unlock-pass', 'setup-pass', 'setup-pass2', 'setup-file-pass', 'import-file-pass', 'import-text']) $(id).value = '';
  renderKeys();
  clearMessages();
  notice(why);
  show(state.hasKeystore ? 's-unlock' : 's-setup');
}
let idleTimer = 0;
function touch() {
  clearTimeout(idleTimer);
  if (state.unlocked) idleTimer = setTimeout(() => lock(t('idleLocked')), IDLE_MS);
}

function renderKeys() {
  const list = $('keys');
  if (!state.keys.length) { list.replaceChildren(el('li', {}, t('noKeys'))); $('s-keys').querySelector('details').open = true; }
  else {
    list.replaceChildren(...state.keys.map((k) => el('li', {},
      el('strong', {}, k.name), ' ', el('code', { class: 'pubkey' }, k.public), ' ',
      el('button', { type: 'button', class: 'secondary', onclick: () => copyKey(k) }, t('copy', k.name)),
      k.qr && k.qr.length ? el('details', { class: 'qr' }, el('summary', {}, t('qrShow')), qrSVG(k.qr, t('qrAlt', k.name))) : null,
      state.removing === k.name
        ? el('span', { class: 'confirm' }, el('span', { role: 'alert' }, t('removeAsk', k.name)), ' ',
          el('button', { type: 'button', id: 'remove-yes', onclick: () => removeKey(k.name) }, t('removeYes')),
          el('button', { type: 'button', id: 'remove-no', class: 'secondary', onclick: () => { state.removing = ''; renderKeys(); } }, t('removeNo')))
        : el('button', { type: 'button', class: 'secondary', 'data-remove': k.name, onclick: () => { state.removing = k.name; renderKeys(); } }, t('remove', k.name)))));
  }
  // While a removal asks for confirmation, the question keeps the focus,
  // whatever re-renders the list meanwhile.
  if (state.removing && $('remove-no')) $('remove-no').focus();
  const sel = $('vote-key');
  const was = sel.value;
  sel.replaceChildren(...state.keys.map((k) => el('option', { value: k.name }, k.name)));
  if (state.keys.some((k) => k.name === was)) sel.value = was;
}
async function removeKey(name) {
  state.removing = '';
  await changeKeys('remove', { name }, '', () => t('removed', name));
  renderKeys();
}
// qrSVG draws a QR code's modules (rows of '0' and '1', from the wallet
// module) as one SVG path, dark on light, with the standard quiet zone of
// four modules.
function qrSVG(rows, label) {
  const ns = 'http://www.w3.org/2000/svg';
  const n = rows.length;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${n + 8} ${n + 8}`);
  svg.setAttribute('width', String(4 * (n + 8)));
  svg.setAttribute('height', String(4 * (n + 8)));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(ns, 'rect');
  bg.setAttribute('width', String(n + 8)); bg.setAttribute('height', String(n + 8)); bg.setAttribute('fill', '#fff');
  let d = '';
  rows.forEach((row, y) => { for (let x = 0; x < row.length; x++) if (row[x] === '1') d += `M${x + 4} ${y + 4}h1v1h-1z`; });
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', d); path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}
async function copyKey(k) {
  try { await navigator.clipboard.writeText(k.public); notice(t('copied')); } catch { notice(k.public); }
}

// ---- elections ----
// The node whose elections the page shows: '' for the page's own node, or
// the origin of a peer node its operator names (the status's peer_nodes;
// the content security policy lets the page call them and no other).
function nodeOrigin(node = state.node) { return node || location.origin; }
function nodeAllowed(o) { return o === location.origin || state.peers.includes(o); }
// nodeOf is the node (as state.node has it) of origin o, the page's own
// if the page may not call o.
function nodeOf(o) { return o && o !== location.origin && state.peers.includes(o) ? o : ''; }
function api(path, opts, node = state.node) { return window.evoteUI.api(path, opts, node); }
// The trust anchor of receipts: the genesis validators of the node's chain
// (GET /api/v1/genesis), whose fingerprint the wallet module computes; it
// must be the one in the page's address (?genesis=) for the page's own
// node, or the one the voter gave for another. Kept per chain id: a node
// that later shows this browser another genesis under the same chain id is
// refused unless the voter gives the new fingerprint.
const PIN = (new URLSearchParams(location.search).get('genesis') || '').trim().toLowerCase();
function pinOf() { return state.nodePin || (state.node ? '' : PIN); }
async function anchorTrust(node, chainID, pin) {
  const g = await api('/api/v1/genesis', undefined, node);
  if (!g.ok) throw new Error(g.body.error);
  const a = await call('genesis', { head: g.body, pin });
  if (!a.ok) throw Object.assign(new Error(a.message), { genesis: true });
  if (a.anchor.chain_id !== chainID) throw Object.assign(new Error(a.anchor.chain_id), { genesis: true });
  const anchor = { fingerprint: a.anchor.fingerprint, validators: a.anchor.validators };
  const key = 'anchor:' + chainID;
  const kept = await idbGet(key);
  if (kept && kept.fingerprint !== anchor.fingerprint && !pin) {
    throw Object.assign(new Error(t('genesisChanged', chainID, kept.fingerprint, anchor.fingerprint)), { changed: true });
  }
  if (!kept || kept.fingerprint !== anchor.fingerprint) await idbPut(key, anchor);
  return anchor;
}
function renderAnchor() {
  const a = state.anchor;
  const given = state.nodePin ? 'anchorGiven' : 'anchorPinned';
  $('anchor').textContent = !a ? '' : pinOf() ? t(given, a.validators.length, a.fingerprint) : t('anchorGenesis', a.validators.length, a.fingerprint);
}
function renderNodes() {
  const o = nodeOrigin();
  $('node-now').textContent = state.node ? t('nodeNow', o) : t('nodeSelf', o);
  $('node-list').replaceChildren(...[location.origin, ...state.peers].map((p) => el('option', { value: p })));
  $('node-hint').textContent = t('nodeHint', [location.origin, ...state.peers].join(', '));
}
// refreshes counts the lists asked for: an answer to an older one (the
// voter chose another node meanwhile) is dropped.
let refreshes = 0;
async function refreshElections() {
  const mine = ++refreshes;
  const node = state.node, pin = pinOf();
  $('elections').setAttribute('aria-busy', 'true');
  state.elections = [];
  state.anchor = null;
  state.trusted = null;
  let elections = [], anchor = null, fault = null;
  try {
    const st = await api('/api/v1/status', undefined, node);
    if (!st.ok) throw new Error(st.body.error);
    if (!node) state.peers = (st.body.peer_nodes || []).map((p) => p.replace(/\/$/, ''));
    if (mine !== refreshes) return;
    state.chainID = st.body.chain_id;
    const list = await api('/api/v1/elections', undefined, node);
    if (!list.ok) throw new Error(list.body.error);
    anchor = await anchorTrust(node, st.body.chain_id, pin);
    elections = list.body.elections.filter((e) => e.phase === 'open');
  } catch (err) {
    fault = err;
  }
  if (mine !== refreshes) return;
  if (fault) {
    const m = String(fault.message || fault);
    const given = state.nodePin ? 'genesisBadGiven' : 'genesisBad';
    problem([{ text: fault.changed ? m : fault.genesis ? t(given, m) : fault instanceof TypeError ? t('nodeUnreachable', nodeOrigin(node), m) : t('nodeError', m) }]);
  }
  state.anchor = anchor;
  state.trusted = anchor ? anchor.validators : null;
  state.elections = elections;
  renderNodes();
  renderAnchor();
  renderElections();
  $('elections').setAttribute('aria-busy', 'false');
}
// chooseNode shows the elections of the node whose address the voter
// typed: the page's own or one of its peers.
async function chooseNode(ev) {
  ev.preventDefault();
  clearMessages();
  let o = '';
  try {
    const u = new URL($('node-url').value.trim());
    if (u.protocol === 'http:' || u.protocol === 'https:') o = u.origin;
  } catch { /* not an address */ }
  const pin = $('node-pin').value.trim().toLowerCase();
  const errs = [];
  if (!o) errs.push({ text: t('nodeBadURL'), href: '#node-url' });
  else if (!nodeAllowed(o)) errs.push({ text: t('nodeNotAllowed', o, [location.origin, ...state.peers].join(', ')), href: '#node-url' });
  if (pin && !/^[0-9a-f]{64}$/.test(pin)) errs.push({ text: t('badPin'), href: '#node-pin' });
  if (errs.length) { problem(errs); return; }
  state.node = nodeOf(o);
  state.nodePin = pin;
  await refreshElections();
  if ($('problem').hidden) $('elections-h').focus();
}
function summaryTitle(e) { return e.title ? (e.title[state.lang] ?? Object.values(e.title)[0] ?? e.id) : e.id; }
function renderElections() {
  const ul = $('elections');
  if (!state.elections.length) { ul.replaceChildren(el('li', {}, t('noElections'))); return; }
  ul.replaceChildren(...state.elections.map((e, i) => el('li', {},
    el('strong', {}, summaryTitle(e)), ' ', el('code', {}, e.id.slice(0, 12) + '…'), ' ',
    el('button', { type: 'button', id: `vote-${i}`, 'aria-label': t('voteIn', summaryTitle(e)), onclick: () => startBallot(e) }, t('vote')))));
}

async function startBallot(summary) {
  clearMessages();
  const key = state.keys.find((k) => k.name === $('vote-key').value);
  if (!key) { problem([{ text: errText('no_key'), href: '#vote-key' }]); return; }
  if (!state.trusted) { problem([{ text: t('noTrust'), href: '#refresh-elections' }]); return; }
  busy(t('loadingElection'));
  let d;
  try {
    d = await api('/api/v1/elections/' + summary.id);
  } catch (err) {
    problem([{ text: t('nodeUnreachable', nodeOrigin(), String(err.message || err)) }]);
    return;
  } finally { busy(''); }
  if (!d.ok) { problem([{ text: t('nodeError', d.body.error) }]); return; }
  const a = await busyCall(t('loadingElection'), 'election', { chain_id: state.chainID, id: summary.id, detail: d.body });
  if (!a.ok) { failed(a); return; }
  state.el = a.election;
  state.summary = summary;
  state.key = key.name;
  state.keyPublic = key.public;
  state.seq = 1;
  state.note = '';
  if (d.body.phase !== 'open') state.note = t('notOpen');
  const vs = await api('/api/v1/elections/' + summary.id + '/voters/' + encodeURIComponent(key.public));
  if (vs.status === 404 || (vs.ok && !vs.body.on_roll && !vs.body.voted)) state.note = t('notOnRoll');
  else if (vs.ok && vs.body.voted) {
    state.seq = vs.body.seq + 1;
    state.note = state.el.revoting ? t('voted', vs.body.seq, vs.body.height) : t('votedNoRevote', vs.body.seq, vs.body.height);
  }
  renderBallot(null);
  show('s-ballot');
  const first = $('contests').querySelector('input');
  if (first) first.focus();
}

function rulesHint(r) {
  if (r.max_per_option > 1) return t('hintPoints', r.max_per_option, r.min_selections, r.max_selections);
  if (r.max_selections === 1) return r.min_selections === 0 ? t('hintOneBlank') : t('hintOne');
  return t('hintMany', r.min_selections, r.max_selections);
}

// renderBallot draws the contests; raw (from readRaw) keeps what was
// chosen across a change of language.
function renderBallot(raw) {
  const m = state.el.manifest;
  $('ballot-h').textContent = text(m.title);
  $('ballot-h').lang = textLang(m.title);
  $('ballot-desc').textContent = text(m.description);
  $('ballot-desc').lang = textLang(m.description);
  $('ballot-note').textContent = state.note;
  const boxes = state.el.contests.map((r, i) => {
    const c = m.contests[i];
    const hintID = `c${i}-hint`, errID = `c${i}-err`;
    const fs = el('fieldset', { id: `contest-${i}`, 'aria-describedby': `${hintID} ${errID}` },
      el('legend', { lang: textLang(c.title) }, text(c.title)),
      c.description && text(c.description) ? el('p', { lang: textLang(c.description) }, text(c.description)) : null,
      el('p', { id: hintID, class: 'hint' }, rulesHint(r)),
      el('p', { id: errID, class: 'field-error', 'aria-live': 'polite' }));
    const radio = r.max_per_option === 1 && r.max_selections === 1;
    c.options.forEach((o, j) => {
      const id = `c${i}-o${j}`;
      let input;
      if (r.max_per_option > 1) {
        input = el('input', { id, type: 'number', min: '0', max: String(r.max_per_option), step: '1', value: raw ? raw[i][j] : '0', inputMode: 'numeric' });
      } else {
        input = el('input', { id, type: radio ? 'radio' : 'checkbox', name: `c${i}`, value: String(j), checked: raw ? raw[i][j] > 0 : false });
      }
      input.addEventListener('input', () => validateContest(i, false));
      input.addEventListener('change', () => validateContest(i, false));
      const label = el('label', { for: id, lang: textLang(o) }, text(o));
      fs.append(el('div', { class: 'choice' }, ...(r.max_per_option > 1 ? [label, input] : [input, label])));
    });
    if (radio && r.min_selections === 0) {
      const id = `c${i}-blank`;
      fs.append(el('div', { class: 'choice' }, el('input', { id, type: 'radio', name: `c${i}`, value: '-1', checked: raw ? raw[i].every((v) => v === 0) : false }),
        el('label', { for: id }, t('blank'))));
    }
    return fs;
  });
  $('contests').replaceChildren(...boxes);
}

function readRaw() {
  return state.el.contests.map((r, i) => Array.from({ length: r.options }, (_, j) => {
    const input = $(`c${i}-o${j}`);
    if (!input) return 0;
    if (input.type === 'number') { const v = Number(input.value); return Number.isInteger(v) && v >= 0 ? v : NaN; }
    return input.checked ? 1 : 0;
  }));
}

// validateContest checks one contest's choices as the voter makes them
// (wallet.CheckChoices' rules); final, at review, also asks for the
// minimum.
function validateContest(i, final) {
  touch();
  const r = state.el.contests[i];
  const v = readRaw()[i];
  const sum = v.reduce((a, b) => a + b, 0);
  let msg = '';
  const points = r.max_per_option > 1;
  if (v.some((x) => Number.isNaN(x) || x > r.max_per_option)) msg = t('perOption', r.max_per_option);
  else if (sum > r.max_selections) msg = points ? t('pointsMany', sum, r.max_selections) : t('tooMany', sum, r.max_selections);
  else if (final && sum < r.min_selections) {
    const blankChosen = $(`c${i}-blank`) && $(`c${i}-blank`).checked;
    if (!blankChosen || r.min_selections > 0) msg = points ? t('pointsFew', sum, r.min_selections) : t('tooFew', sum, r.min_selections);
  }
  $(`c${i}-err`).textContent = msg;
  $(`contest-${i}`).classList.toggle('invalid', !!msg);
  for (let j = 0; j < r.options; j++) { const input = $(`c${i}-o${j}`); if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid'); }
  return msg;
}

function review(ev) {
  ev.preventDefault();
  clearMessages();
  const errs = [];
  state.el.contests.forEach((r, i) => {
    const msg = validateContest(i, true);
    if (msg) errs.push({ text: t('fix', text(state.el.manifest.contests[i].title), msg), href: `#c${i}-o0` });
  });
  if (errs.length) { problem(errs); return; }
  state.choices = readRaw();
  renderReview();
  show('s-review');
  $('review-h').focus();
}
function chosenText(i, values) {
  const c = state.el.manifest.contests[i];
  const r = state.el.contests[i];
  const parts = [];
  values.forEach((v, j) => { if (v > 0) parts.push(r.max_per_option > 1 ? `${text(c.options[j])}: ${t('points', v)}` : text(c.options[j])); });
  return parts.length ? parts.join(', ') : t('blankChosen');
}
function renderReview() { fillChoices($('review-list'), state.choices); }
function fillChoices(dl, choices) {
  const items = [];
  choices.forEach((v, i) => items.push(el('dt', {}, text(state.el.manifest.contests[i].title)), el('dd', {}, chosenText(i, v))));
  dl.replaceChildren(...items);
}

// ---- the Benaloh audit ----
async function audit() {
  clearMessages();
  const a = await busyCall(t('encrypting'), 'spoil', { key: state.key, seq: state.seq, choices: state.choices });
  if (!a.ok) { failed(a); return; }
  state.timings.spoilMs = a.ms;
  state.seq++; // the spoiled ballot's number is never used again
  $('audited-code').textContent = a.tracking_code;
  fillChoices($('audited-list'), a.opened);
  $('audit-file').textContent = a.audit_file;
  setDownload($('audit-download'), a.audit_file, `${state.el.id.slice(0, 12)}-${a.tracking_code.slice(0, 16)}.json`, 'application/json');
  show('s-audited');
  $('audited-h').focus();
}

// ---- casting ----
function setCastStatus(kind, msg) {
  const s = $('cast-status');
  s.className = 'status ' + kind;
  s.setAttribute('role', kind === 'failed' ? 'alert' : 'status');
  s.textContent = msg;
}
// ---- submitting, from node to node ----
// A ballot is kept, signed, in the pending receipt before it is sent, and
// sent until a node gives its receipt: the same bytes go to the next node
// when one fails (no answer, 5xx, halted), loses the ballot it admitted, or
// keeps it pending over NODE_WAIT. The chain counts the bytes once. The
// nodes: the chosen one, then the page's own and its peers; a node other
// than the chosen one must show this chain's anchored genesis.
const NODE_WAIT = 60000, PATIENCE = 180000;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
function castNodes(first) { return [first, ...['', ...state.peers].filter((n) => n !== first)]; }
// castOn: one node's turn. {receipt} | {refused: {code, code_name, error}} | {failed: message}.
async function castOn(node, tx, code, until) {
  // A fetch that gets no answer (refused, reset) is a TypeError.
  const failedBy = (err) => ({ failed: err instanceof TypeError ? t('noAnswer') : String((err && err.message) || err) });
  for (let lost = 0; ; lost++) {
    let r;
    try {
      r = await api('/api/v1/transactions?wait=30s', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: b64ToBytes(tx) }, node);
    } catch (err) { return failedBy(err); }
    const b = r.body || {};
    if (r.status === 200 && b.committed && b.receipt && !b.code) return { receipt: b.receipt };
    if (r.status === 422 && b.code_name === 'duplicate') {
      // These bytes were accepted before: their receipt is the answer.
      try {
        const g = await api('/api/v1/receipts/' + code, undefined, node);
        if (g.status === 200) return g.body.code ? { refused: { code: g.body.code, error: g.body.log } } : { receipt: g.body };
      } catch (err) { return failedBy(err); }
      return { failed: 'duplicate, then no receipt' };
    }
    if (r.status === 422 || (b.committed && b.code)) return { refused: b };
    if (r.status >= 500 && r.status !== 504) return { failed: b.error || 'HTTP ' + r.status };
    if (r.status !== 409 && r.status !== 504) return { refused: { error: b.error || 'HTTP ' + r.status } };
    for (;;) { // admitted: follow it on this node
      if (Date.now() > until) return { failed: 'HTTP 504' };
      let g;
      try { g = await api('/api/v1/receipts/' + code + '?wait=20s', undefined, node); } catch (err) { return failedBy(err); }
      if (g.status === 200) return g.body.code ? { refused: { code: g.body.code, error: g.body.log } } : { receipt: g.body };
      if (g.status === 404) { if (lost === 0) break; return { failed: t('lostBallot') }; }
      if (g.status !== 202 && g.status !== 504) return { failed: g.body.error || 'HTTP ' + g.status };
      await pause(200);
    }
  }
}
// checkedOn: a node's receipt checked in this browser before it is
// believed: a receipt that does not check (another transaction's, a forged
// commit) is that node's failure, and the ballot goes to the next node.
async function checkedOn(node, file, res) {
  const f = Object.assign({}, file, { receipt: res.receipt, node: nodeOrigin(node) });
  delete f.ballot;
  const c = await call('receipt_file', { file: f, trusted: state.trusted });
  if (!c.ok && c.error !== 'incomplete_receipt') return { failed: t('nodeBadReceipt', c.message) };
  return Object.assign(res, { check: c });
}
// castAll: {receipt, check, node} | {refused} | {notConfirmed: message}.
async function castAll(first, file) {
  const tx = file.ballot, code = file.tracking_code;
  const nodes = castNodes(first), deadline = Date.now() + PATIENCE, last = new Map();
  for (let i = 0; Date.now() < deadline; i++) {
    const node = nodes[i % nodes.length];
    if (i > 0 && i % nodes.length === 0) await pause(2000);
    let res;
    if (node !== first) {
      try { await anchorTrust(node, state.chainID, ''); } catch (err) { res = { failed: String(err.message || err) }; }
    }
    res = res || await castOn(node, tx, code, Math.min(deadline, Date.now() + NODE_WAIT));
    if (res.receipt) res = await checkedOn(node, file, res);
    if (!res.failed) return Object.assign(res, { node, firstFailure: last.get(nodeOrigin(first)) });
    last.set(nodeOrigin(node), res.failed);
    if (nodes.length > 1) busy(t('tryingNext', nodeOrigin(node), res.failed, nodeOrigin(nodes[(i + 1) % nodes.length])));
  }
  return { notConfirmed: [...last].map(([o, m]) => o + ': ' + m).join('; ') };
}
async function dropReceipt(code) {
  receipts = receipts.filter((r) => r.tracking_code !== code);
  const data = bytesToB64(new TextEncoder().encode(JSON.stringify(receipts)));
  const a = await busyCall(t('sealing'), 'seal_data', { passphrase, data });
  if (!a.ok) { failed(a); return; }
  await idbPut('receipts', a.sealed);
  renderReceipts();
}

async function cast() {
  clearMessages();
  const a = await busyCall(t('encrypting'), 'ballot', { key: state.key, seq: state.seq, choices: state.choices });
  if (!a.ok) { failed(a); return; }
  state.timings.ballotMs = a.ms;
  $('cast-code').textContent = a.tracking_code;
  $('receipt-download').hidden = true;
  $('receipt-details').hidden = true;
  const file = {
    version: 'evote/v3/wallet-receipt', node: nodeOrigin(), chain_id: state.chainID, election: state.el.id,
    voter: state.keyPublic, key_name: state.key, seq: state.seq, tracking_code: a.tracking_code,
    cast_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), trusted_validators: state.trusted, receipt: null, ballot: a.tx,
  };
  // Kept before it is sent: whatever happens next, this browser holds the
  // signed ballot and can send it again.
  await saveReceipt(JSON.stringify(file, null, 2) + '\n', file);
  busy(t('submitting'));
  const res = await castAll(state.node, file);
  busy('');
  show('s-cast');
  if (res.refused) {
    const b = res.refused;
    await dropReceipt(a.tracking_code);
    if (b.code) setCastStatus('failed', t('rejected', b.code_name || 'code-' + b.code, b.code, codeText(b.code_name)));
    else setCastStatus('failed', t('sendFailed', b.error));
  } else if (res.notConfirmed) {
    setCastStatus('failed', t('notConfirmed', res.notConfirmed));
  } else {
    file.receipt = res.receipt;
    file.node = nodeOrigin(res.node);
    delete file.ballot;
    const c = res.check; // checked in castAll: complete, or waiting for its next block
    if (c.ok) {
      state.timings.receiptMs = c.ms;
      await saveReceipt(c.receipt.file, file);
      $('receipt-file').textContent = c.receipt.file;
      setDownload($('receipt-download'), c.receipt.file, `${state.el.id.slice(0, 12)}-${a.tracking_code.slice(0, 16)}.json`, 'application/json');
      $('receipt-download').hidden = false;
      $('receipt-details').hidden = false;
      const through = res.node !== state.node ? ' ' + t('castThrough', nodeOrigin(res.node), res.firstFailure || '') : '';
      const changed = c.receipt.changes ? ' ' + t('changes', c.receipt.changes, c.receipt.in_force) : '';
      setCastStatus('ok', t('castOk', c.receipt.height, c.receipt.validators, state.chainID) + changed + ' ' + t('accepted', c.receipt.height + 1) + through);
      state.seq++;
    } else {
      // Committed; the next block, which proves the acceptance, did not
      // come within the node's wait: completed when checked later.
      await saveReceipt(JSON.stringify(file, null, 2) + '\n', file);
      setCastStatus('pending', t('pending'));
      state.seq++;
    }
  }
  $('cast-h').focus();
}
// The receipts are kept in IndexedDB as one sealed secret (the keystore's
// format, docs/spec/keystore.md: Argon2id and XChaCha20-Poly1305) holding
// their list as JSON: they name the voter's key, the election and the
// ballot.
async function loadReceipts() {
  receipts = [];
  const sealed = await idbGet('receipts');
  if (!sealed) return true;
  const a = await busyCall(t('deriving'), 'open_data', { passphrase, sealed });
  if (!a.ok) { failed(a); return false; }
  receipts = JSON.parse(new TextDecoder().decode(b64ToBytes(a.data)));
  return true;
}
async function saveReceipt(fileText, file) {
  const i = receipts.findIndex((r) => r.tracking_code === file.tracking_code);
  const entry = { tracking_code: file.tracking_code, election: file.election, seq: file.seq, height: file.receipt ? file.receipt.height : 0, file: fileText };
  if (i >= 0) receipts[i] = entry; else receipts.push(entry);
  const data = bytesToB64(new TextEncoder().encode(JSON.stringify(receipts)));
  const a = await busyCall(t('sealing'), 'seal_data', { passphrase, data });
  if (!a.ok) { failed(a); return; }
  await idbPut('receipts', a.sealed);
  renderReceipts();
}
function renderReceipts() {
  const list = state.unlocked ? receipts : [];
  const ul = $('receipts');
  if (!list.length) { ul.replaceChildren(el('li', {}, t('noReceipts'))); return; }
  ul.replaceChildren(...list.map((r) => {
    const a = el('a', { href: '#', download: `${r.election.slice(0, 12)}-${r.tracking_code.slice(0, 16)}.json` }, t('downloadReceipt'));
    setDownload(a, r.file, a.download, 'application/json');
    const again = el('button', { type: 'button', class: 'secondary', onclick: (ev) => checkBallot(ev, r.file) }, t('checkAgain', r.tracking_code.slice(0, 16)));
    return el('li', { class: 'receipt' }, r.height ? t('receiptLine', r.election.slice(0, 12), r.seq, r.height) : t('receiptPending', r.election.slice(0, 12), r.seq),
      el('br'), el('code', {}, r.tracking_code), el('br'), a, ' ', again);
  }));
}

// ---- check my ballot ----
async function checkBallot(ev, kept) {
  ev.preventDefault();
  clearMessages();
  const out = $('check-result');
  out.replaceChildren();
  const code = kept ? '' : $('check-code').value.trim().toLowerCase();
  const f = kept ? null : $('check-file').files[0];
  if (!f && !code && !kept) { problem([{ text: t('needCheck'), href: '#check-file' }]); return; }
  let info, node = state.node;
  if (f || kept) {
    let file;
    try { file = JSON.parse(kept || await f.text()); } catch { file = null; }
    if (!file) { problem([{ text: errText('bad_receipt'), href: '#check-file' }]); return; }
    node = nodeOf(file.node);
    // A receipt of version 2 or 3 without its result part is completed too.
    const wasPending = !file.receipt || (file.version !== 'evote/v1/wallet-receipt' && !file.receipt.result);
    if (wasPending) {
      let r = { status: 0 };
      try { r = await api('/api/v1/receipts/' + encodeURIComponent(file.tracking_code), undefined, node); } catch { /* sent again below */ }
      if (r.status === 200) file.receipt = r.body;
      else if (file.ballot && r.status !== 202 && state.chainID === file.chain_id) {
        // The node does not know the ballot (or does not answer): send the
        // kept bytes again, from node to node.
        busy(t('submitting'));
        const res = await castAll(node, file.ballot, file.tracking_code);
        busy('');
        if (res.receipt) { file.receipt = res.receipt; file.node = nodeOrigin(res.node); node = res.node; }
        else if (res.notConfirmed) { out.replaceChildren(el('p', { class: 'status failed' }, t('notConfirmed', res.notConfirmed))); return; }
        else if (res.refused) { out.replaceChildren(el('p', { class: 'status failed' }, t('rejected', res.refused.code_name || 'code-' + res.refused.code, res.refused.code ?? '?', codeText(res.refused.code_name)))); return; }
      }
      if (file.receipt) delete file.ballot;
    }
    const anchor = await idbGet('anchor:' + file.chain_id);
    const trusted = anchor ? anchor.validators : undefined;
    const c = await busyCall(t('checking'), 'receipt_file', { file, trusted });
    if (!c.ok) { out.replaceChildren(el('p', { class: 'status failed' }, errText(c.error) + ' ' + c.message)); return; }
    info = c.receipt;
    info.voter = file.voter;
    if (wasPending) await saveReceipt(c.receipt.file, file);
  } else {
    if (!/^[0-9a-f]{64}$/.test(code)) { problem([{ text: errText('bad_receipt'), href: '#check-code' }]); return; }
    const r = await api('/api/v1/receipts/' + code);
    if (r.status !== 200) { out.replaceChildren(el('p', { class: 'status failed' }, t('nodeError', r.body.error))); return; }
    if (!state.trusted) await refreshElections();
    const c = await busyCall(t('checking'), 'receipt', { receipt: r.body, chain_id: state.chainID, trusted: state.trusted });
    if (!c.ok) { out.replaceChildren(el('p', { class: 'status failed' }, errText(c.error) + ' ' + c.message)); return; }
    info = c.receipt;
  }
  const lines = [el('p', {}, t('receiptOk', info.height, info.seq, info.validators) + (info.changes ? ' ' + t('changes', info.changes, info.in_force) : '')),
    el('p', { id: 'check-accepted' }, info.accepted ? t('accepted', info.height + 1) : t('inclusionOnly'))];
  let vs = { ok: false };
  try { vs = await api('/api/v1/elections/' + info.election + '/voters/' + encodeURIComponent(info.voter), undefined, node); } catch { /* the receipt stands */ }
  if (vs.ok && vs.body.tx_hash === info.tracking_code) lines.push(el('p', {}, t('counts')));
  else if (vs.ok && vs.body.voted) lines.push(el('p', {}, t('replaced', vs.body.seq)));
  out.replaceChildren(el('div', { class: 'status ok' }, ...lines));
}

// ---- wiring ----
function need(cond, textKey, field, errs) { if (!cond) errs.push({ text: t(textKey), href: '#' + field }); }

async function setupCreate(ev) {
  ev.preventDefault();
  clearMessages();
  const p = $('setup-pass').value, p2 = $('setup-pass2').value;
  const errs = [];
  need(p.length >= 8, 'passShort', 'setup-pass', errs);
  if (p.length >= 8) need(p === p2, 'passDiffer', 'setup-pass2', errs);
  if (errs.length) { problem(errs); return; }
  const a = await call('create', {});
  if (!a.ok) { failed(a); return; }
  passphrase = p;
  if (!(await seal())) return;
  $('setup-pass').value = $('setup-pass2').value = '';
  unlocked(a.keys);
  notice(t('created'));
  $('gen-name').focus();
}
async function setupImport(ev) {
  ev.preventDefault();
  clearMessages();
  const sealed = await fileB64($('setup-file'));
  const p = $('setup-file-pass').value;
  const errs = [];
  need(sealed, 'needFile', 'setup-file', errs);
  need(p.length > 0, 'passShort', 'setup-file-pass', errs);
  if (errs.length) { problem(errs); return; }
  const a = await busyCall(t('deriving'), 'open', { sealed, passphrase: p });
  if (!a.ok) { failed(a, 'setup-file-pass'); return; }
  state.timings.openMs = a.ms;
  passphrase = p; // the file's passphrase becomes the wallet's
  if (!(await seal())) return;
  $('setup-file-pass').value = '';
  unlocked(a.keys);
  notice(t('imported', a.keys.map((k) => k.name).join(', ')));
}
async function unlock(ev) {
  ev.preventDefault();
  clearMessages();
  const p = $('unlock-pass').value;
  if (!p) { problem([{ text: t('passShort'), href: '#unlock-pass' }]); return; }
  const a = await busyCall(t('deriving'), 'open', { sealed: state.sealed, passphrase: p });
  if (!a.ok) { failed(a, 'unlock-pass'); return; }
  state.timings.openMs = a.ms;
  passphrase = p;
  $('unlock-pass').value = '';
  if (!(await loadReceipts())) return;
  setDownload($('export'), b64ToBytes(state.sealed), 'evote-wallet.keystore', 'application/octet-stream');
  unlocked(a.keys);
  $('keys-h').setAttribute('tabindex', '-1');
  $('keys-h').focus();
}
async function changeKeys(op, args, field, done) {
  clearMessages();
  const a = await call(op, args);
  if (!a.ok) { failed(a, field); return; }
  state.keys = a.keys || [];
  if (!(await seal())) return;
  renderKeys();
  notice(done(a));
}
async function generate(ev) {
  ev.preventDefault();
  const name = $('gen-name').value.trim();
  if (!name) { problem([{ text: t('needName'), href: '#gen-name' }]); return; }
  await changeKeys('generate', { name }, 'gen-name', (a) => { $('gen-name').value = ''; return t('keyAdded', a.key.name); });
}
async function importText(ev) {
  ev.preventDefault();
  const name = $('import-name').value.trim(), txt = $('import-text').value.trim();
  const errs = [];
  need(name, 'needName', 'import-name', errs);
  need(txt, 'needText', 'import-text', errs);
  if (errs.length) { problem(errs); return; }
  await changeKeys('import_text', { name, text: txt }, 'import-text', (a) => { $('import-name').value = $('import-text').value = ''; return t('keyAdded', a.key.name); });
}
async function importFile(ev) {
  ev.preventDefault();
  clearMessages();
  const sealed = await fileB64($('import-file'));
  const p = $('import-file-pass').value;
  if (!sealed) { problem([{ text: t('needFile'), href: '#import-file' }]); return; }
  busy(t('deriving'));
  await changeKeys('import_file', { sealed, passphrase: p }, 'import-file-pass', (a) => {
    $('import-file-pass').value = '';
    return a.added && a.added.length ? t('imported', a.added.join(', ')) : t('nothingNew');
  });
  busy('');
}

async function main() {
  state.lang = pickLang();
  $('lang').addEventListener('change', () => { state.lang = $('lang').value; localStorage.setItem('evote-lang', state.lang); applyLang(); });
  applyLang();
  for (const ev of ['keydown', 'pointerdown', 'input']) document.addEventListener(ev, touch, { passive: true });
  $('setup-form').addEventListener('submit', setupCreate);
  $('setup-import-form').addEventListener('submit', setupImport);
  $('unlock-form').addEventListener('submit', unlock);
  $('gen-form').addEventListener('submit', generate);
  $('import-text-form').addEventListener('submit', importText);
  $('import-file-form').addEventListener('submit', importFile);
  $('lock').addEventListener('click', () => lock(t('locked')));
  $('ballot-form').addEventListener('submit', review);
  $('ballot-cancel').addEventListener('click', () => { show(...MAIN); refreshElections(); });
  $('change').addEventListener('click', () => { renderBallot(state.choices); show('s-ballot'); $('c0-o0')?.focus(); });
  $('audit').addEventListener('click', audit);
  $('cast').addEventListener('click', cast);
  $('audited-back').addEventListener('click', () => { show('s-review'); $('review-h').focus(); });
  $('cast-back').addEventListener('click', () => { state.el = null; show(...MAIN); refreshElections(); renderReceipts(); });
  $('check-form').addEventListener('submit', checkBallot);
  $('refresh-elections').addEventListener('click', () => { clearMessages(); refreshElections(); });
  $('node-form').addEventListener('submit', chooseNode);
  const ready = await call('ready', {});
  if (!ready.ok) { show(); problem([{ text: t('unavailable', ready.message) }]); return; }
  state.wasmSHA256 = ready.sha256;
  state.sealed = (await idbGet('keystore')) || '';
  state.hasKeystore = !!state.sealed;
  show(state.hasKeystore ? 's-unlock' : 's-setup');
  document.body.dataset.ready = 'true';
}
main();
