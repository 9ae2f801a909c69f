// Independent verification of credshare output, fully offline.
//
//   node verify.mjs verify DIR   verify every DIR/*.json (JSON-LD credential with an
//                                embedded proof) and DIR/*.jwt (VC-JWT) with Digital
//                                Bazaar, DIDKit and jose; DIR/lists/*.json are status
//                                list credentials served to the loader by their id.
//                                Prints {"files": {NAME: {VERIFIER: {verified, error}}}}.
//   node verify.mjs issue DIR    write credentials issued by Digital Bazaar and DIDKit
//                                (good, tampered later by the caller, expired) to DIR.
//   node verify.mjs bench N FILE time N sign and verify rounds with each peer on FILE
//                                (an unsigned ~2 KB credential); prints JSON.
import {readFileSync, readdirSync, writeFileSync, existsSync} from 'node:fs';
import {join, basename} from 'node:path';
import * as dbvc from '@digitalbazaar/vc';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createSignCryptosuite as jcsSign, createVerifyCryptosuite as jcsVerify} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as didKey from '@digitalbazaar/did-method-key';
import * as bsl from '@digitalbazaar/vc-bitstring-status-list';
import * as sl2021 from '@digitalbazaar/vc-status-list';
import * as didkit from '@spruceid/didkit-wasm-node';
import * as jose from 'jose';
import {contexts, makeLoader, CLR_CONTEXT_URL} from './contexts.mjs';

// Two did:key drivers: DI proofs resolve keys as Multikey, Ed25519Signature2020
// as Ed25519VerificationKey2020 (each suite checks the key type).
const multikeyDriver = didKey.driver();
multikeyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
const ed2020Driver = didKey.driver();
ed2020Driver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519VerificationKey2020.from});

function loaderFor(driver, extra) {
  return makeLoader(async (url) => {
    if (!url.startsWith('did:key:')) throw new Error(`offline loader: cannot resolve ${url}`);
    return driver.get({url});
  }, extra);
}

function msg(e) {
  if (!e) return '';
  if (Array.isArray(e)) return e.map(msg).join('; ');
  if (e.errors) return msg(e.errors);
  return String(e.message || e);
}

function proofsOf(doc) {
  return doc.proof ? (Array.isArray(doc.proof) ? doc.proof : [doc.proof]) : [];
}

function statusChecker(cred, loader, suite) {
  const entries = cred.credentialStatus ? [].concat(cred.credentialStatus) : [];
  if (entries.length === 0) return undefined;
  if (entries.every(e => e.type === 'BitstringStatusListEntry')) {
    return (opts) => bsl.checkStatus({...opts, documentLoader: loader, suite});
  }
  if (entries.every(e => e.type === 'StatusList2021Entry')) {
    return (opts) => sl2021.checkStatus({...opts, documentLoader: loader, suite});
  }
  return undefined;
}

async function verifyDB(cred, lists) {
  const p = proofsOf(cred)[0];
  if (!p) return {verified: false, error: 'no proof'};
  let suite, loader;
  if (p.type === 'Ed25519Signature2020') {
    suite = new Ed25519Signature2020();
    loader = loaderFor(ed2020Driver, lists);
  } else if (p.type === 'DataIntegrityProof' && p.cryptosuite === 'eddsa-rdfc-2022') {
    suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
    loader = loaderFor(multikeyDriver, lists);
  } else if (p.type === 'DataIntegrityProof' && p.cryptosuite === 'eddsa-jcs-2022') {
    suite = new DataIntegrityProof({cryptosuite: jcsVerify()});
    loader = loaderFor(multikeyDriver, lists);
  } else {
    return {skipped: true, error: `no Digital Bazaar suite for ${p.type} ${p.cryptosuite || ''}`};
  }
  // Status lists may be signed with either suite.
  const suites = [new Ed25519Signature2020(), new DataIntegrityProof({cryptosuite: eddsaRdfc2022})];
  const checkStatus = statusChecker(cred, loader, suites);
  const r = await dbvc.verifyCredential({credential: cred, suite, documentLoader: loader, checkStatus});
  // The status checkers report the bit in results[].status (verified only
  // says the list itself checked out), as wallets read it.
  const set = (r.statusResult?.results ?? []).filter(x => x.status === true);
  if (r.verified && set.length > 0) {
    return {verified: false, error: set.map(x => `status bit set: ${x.credentialStatus?.statusPurpose} at ${x.credentialStatus?.statusListIndex}`).join('; ')};
  }
  if (r.verified && checkStatus && !r.statusResult?.verified) {
    return {verified: false, error: 'status not checked: ' + msg(r.statusResult?.error)};
  }
  const out = {verified: !!r.verified, error: r.verified ? '' : msg(r.error) || msg(r.results?.map(x => x.error).filter(Boolean)) || msg(r.statusResult?.error) || 'not verified'};
  if (!out.verified) return out;
  return (await verifyEmbedded(cred, lists)) ?? out;
}

// verifyEmbedded verifies the credentials a CLR 2.0 ClrCredential embeds
// (credentialSubject.verifiableCredential) with Digital Bazaar, each with
// its own proof; undefined for any other credential.
async function verifyEmbedded(cred, lists) {
  if (![].concat(cred.type).includes('ClrCredential')) return undefined;
  const subject = [].concat(cred.credentialSubject)[0] ?? {};
  const embedded = [].concat(subject.verifiableCredential ?? []);
  if (embedded.length === 0) return {verified: false, error: 'ClrSubject without verifiableCredential'};
  for (const [i, e] of embedded.entries()) {
    if ([].concat(e.type).includes('ClrCredential')) return {verified: false, error: `embedded credential ${i} is a ClrCredential`};
    const r = await verifyDB(e, lists);
    if (!r.verified) return {verified: false, error: `embedded credential ${i}: ${r.error}`};
  }
  return {verified: true, error: '', embedded: embedded.length};
}

// DIDKit knows only a fixed set of contexts: inline the others (the RDF is unchanged).
const didkitKnows = new Set([
  'https://www.w3.org/2018/credentials/v1',
  'https://w3id.org/security/suites/ed25519-2020/v1',
]);
function inlineContexts(doc) {
  const out = structuredClone(doc);
  const inl = (c) => (typeof c === 'string' && !didkitKnows.has(c) && contexts.has(c)) ? contexts.get(c)['@context'] ? {...contexts.get(c)['@context']} : c : c;
  out['@context'] = [].concat(out['@context']).map(inl);
  return out;
}

async function verifyDIDKit(cred) {
  const p = proofsOf(cred)[0];
  const ctx0 = [].concat(cred['@context'])[0];
  if (ctx0 !== 'https://www.w3.org/2018/credentials/v1' || !p || p.type !== 'Ed25519Signature2020') {
    return {skipped: true, error: 'DIDKit 0.2.1 checks VC 1.1 with Ed25519Signature2018/2020 only'};
  }
  try {
    const r = JSON.parse(await didkit.verifyCredential(JSON.stringify(inlineContexts(cred)), '{"proofPurpose":"assertionMethod"}'));
    return {verified: r.errors.length === 0, error: r.errors.join('; '), warnings: r.warnings};
  } catch (e) {
    return {verified: false, error: msg(e)};
  }
}

async function keyFromKid(kid) {
  const did = kid.split('#')[0];
  const doc = await multikeyDriver.get({did});
  const vm = doc.verificationMethod.find(m => m.id === kid) || doc.verificationMethod[0];
  const key = await Ed25519Multikey.from(vm);
  const jwk = await Ed25519Multikey.toJwk({keyPair: key});
  return jose.importJWK({...jwk, alg: 'EdDSA'}, 'EdDSA');
}

async function verifyJose(token) {
  try {
    const {kid} = jose.decodeProtectedHeader(token);
    if (!kid || !kid.startsWith('did:key:')) return {verified: false, error: `kid ${kid} is not a did:key`};
    const {payload} = await jose.jwtVerify(token, await keyFromKid(kid), {algorithms: ['EdDSA']});
    if (kid.split('#')[0] !== payload.iss) return {verified: false, error: 'kid does not belong to iss'};
    return {verified: true, error: ''};
  } catch (e) {
    return {verified: false, error: msg(e)};
  }
}

async function verifyDIDKitJWT(token) {
  try {
    const r = JSON.parse(await didkit.verifyCredential(token, '{"proofFormat":"jwt"}'));
    return {verified: r.errors.length === 0, error: r.errors.join('; ')};
  } catch (e) {
    return {verified: false, error: msg(e)};
  }
}

function loadLists(dir) {
  const lists = new Map();
  const ld = join(dir, 'lists');
  if (existsSync(ld)) {
    for (const f of readdirSync(ld).filter(f => f.endsWith('.json'))) {
      const doc = JSON.parse(readFileSync(join(ld, f), 'utf8'));
      lists.set(doc.id, doc);
    }
  }
  return lists;
}

async function verifyDir(dir) {
  const lists = loadLists(dir);
  const files = {};
  for (const f of readdirSync(dir).sort()) {
    const path = join(dir, f);
    if (f.endsWith('.json')) {
      const cred = JSON.parse(readFileSync(path, 'utf8'));
      files[f] = {digitalbazaar: await verifyDB(cred, lists), didkit: await verifyDIDKit(cred)};
    } else if (f.endsWith('.jwt')) {
      const token = readFileSync(path, 'utf8').trim();
      files[f] = {jose: await verifyJose(token), didkit: await verifyDIDKitJWT(token)};
      // A CLR as a VC-JWT: jose checks the token, Digital Bazaar the
      // credentials it embeds.
      if (files[f].jose.verified) {
        const payload = jose.decodeJwt(token);
        const emb = await verifyEmbedded(payload.vc ?? payload, lists);
        if (emb) files[f].digitalbazaar = emb;
      }
    }
  }
  return {files};
}

// ---- issuing by the peers ----

function sampleCredential(v2, extra = {}) {
  const c = JSON.parse(readFileSync(new URL('./sample-obv3.json', import.meta.url), 'utf8'));
  if (!v2) {
    c['@context'][0] = 'https://www.w3.org/2018/credentials/v1';
    c.issuanceDate = c.validFrom; delete c.validFrom;
    if (c.validUntil) { c.expirationDate = c.validUntil; delete c.validUntil; }
  }
  return {...c, ...extra};
}

async function issueDB(v2, suiteName, extra) {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  let key, suite, loader;
  if (suiteName === 'Ed25519Signature2020') {
    key = await Ed25519VerificationKey2020.generate({seed});
  } else {
    key = await Ed25519Multikey.generate({seed});
  }
  const fp = key.fingerprint ? key.fingerprint() : key.publicKeyMultibase;
  const did = 'did:key:' + fp;
  key.id = did + '#' + fp;
  key.controller = did;
  const base = sampleCredential(v2);
  const cred = {...base, issuer: {...base.issuer, id: did}, ...extra};
  if (!v2) {
    delete cred.validFrom; delete cred.validUntil;
    cred.issuanceDate = cred.issuanceDate ?? base.issuanceDate;
  }
  if (suiteName === 'Ed25519Signature2020') {
    suite = new Ed25519Signature2020({key});
    cred['@context'].push('https://w3id.org/security/suites/ed25519-2020/v1');
    loader = loaderFor(ed2020Driver);
  } else {
    suite = new DataIntegrityProof({signer: key.signer(), cryptosuite: suiteName === 'eddsa-jcs-2022' ? jcsSign() : eddsaRdfc2022});
    if (!v2) cred['@context'].push('https://w3id.org/security/data-integrity/v2');
    loader = loaderFor(multikeyDriver);
  }
  return dbvc.issue({credential: cred, suite, documentLoader: loader});
}

// issueDBCLR has Digital Bazaar sign an OBv3 credential and a CLR 2.0
// ClrCredential embedding it, both eddsa-rdfc-2022, with one key.
async function issueDBCLR() {
  const key = await Ed25519Multikey.generate({seed: crypto.getRandomValues(new Uint8Array(32))});
  const did = 'did:key:' + key.publicKeyMultibase;
  key.id = did + '#' + key.publicKeyMultibase;
  key.controller = did;
  const loader = loaderFor(multikeyDriver);
  const sign = (credential) => dbvc.issue({credential, suite: new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022}), documentLoader: loader});
  const base = sampleCredential(true);
  const inner = await sign({...base, issuer: {...base.issuer, id: did}});
  return sign({
    '@context': ['https://www.w3.org/ns/credentials/v2', CLR_CONTEXT_URL, 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    id: 'urn:uuid:' + crypto.randomUUID(),
    type: ['VerifiableCredential', 'ClrCredential'],
    name: 'Transcript issued by Digital Bazaar',
    issuer: {id: did, type: ['Profile'], name: 'Peer University'},
    validFrom: base.validFrom,
    credentialSubject: {
      id: inner.credentialSubject.id,
      type: ['ClrSubject'],
      achievement: [inner.credentialSubject.achievement],
      verifiableCredential: [inner],
    },
  });
}

async function issueDIDKit(jwt, extra) {
  const jwk = didkit.generateEd25519Key();
  const did = didkit.keyToDID('key', jwk);
  const vm = await didkit.keyToVerificationMethod('key', jwk);
  const cred = sampleCredential(false, {issuer: {...sampleCredential(false).issuer, id: did}, ...extra});
  if (jwt) {
    return didkit.issueCredential(JSON.stringify(inlineContexts(cred)), JSON.stringify({proofFormat: 'jwt', verificationMethod: vm, proofPurpose: 'assertionMethod'}), jwk);
  }
  cred['@context'].push('https://w3id.org/security/suites/ed25519-2020/v1');
  const signed = JSON.parse(await didkit.issueCredential(JSON.stringify(inlineContexts(cred)),
    JSON.stringify({type: 'Ed25519Signature2020', verificationMethod: vm, proofPurpose: 'assertionMethod'}), jwk));
  signed['@context'] = cred['@context']; // back to URLs: same RDF
  return signed;
}

async function issueDir(dir) {
  const past = {validUntil: '2020-01-01T00:00:00Z', validFrom: '2019-01-01T00:00:00Z'};
  const pastV1 = {expirationDate: '2020-01-01T00:00:00Z', issuanceDate: '2019-01-01T00:00:00Z'};
  const out = {
    'db-v2-eddsa-rdfc-2022.json': await issueDB(true, 'eddsa-rdfc-2022'),
    'db-v1-ed25519-2020.json': await issueDB(false, 'Ed25519Signature2020'),
    'db-v1-eddsa-rdfc-2022.json': await issueDB(false, 'eddsa-rdfc-2022'),
    'db-v2-eddsa-jcs-2022.json': await issueDB(true, 'eddsa-jcs-2022'),
    'db-v2-expired.json': await issueDB(true, 'eddsa-rdfc-2022', past),
    'db-clr-v2-eddsa-rdfc-2022.json': await issueDBCLR(),
    'didkit-v1-ed25519-2020.json': await issueDIDKit(false),
    'didkit-v1-expired.json': await issueDIDKit(false, pastV1),
  };
  // DID authentication as the Learner Credential Wallet does it: a
  // presentation signed by the holder over our challenge.
  for (const [name, v] of [['db-didauth-v1.vp', 1.0], ['db-didauth-v2.vp', 2.0]]) {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const key = await Ed25519VerificationKey2020.generate({seed});
    const did = 'did:key:' + key.fingerprint();
    key.id = did + '#' + key.fingerprint();
    key.controller = did;
    const presentation = dbvc.createPresentation({holder: did, version: v});
    if (!presentation['@context'].includes('https://w3id.org/security/suites/ed25519-2020/v1')) {
      presentation['@context'].push('https://w3id.org/security/suites/ed25519-2020/v1');
    }
    out[name] = await dbvc.signPresentation({presentation, suite: new Ed25519Signature2020({key}),
      challenge: 'credshare-challenge', domain: 'example.edu', documentLoader: loaderFor(ed2020Driver)});
  }
  for (const [name, doc] of Object.entries(out)) writeFileSync(join(dir, name), JSON.stringify(doc, null, 1));
  writeFileSync(join(dir, 'didkit-v1.jwt'), await issueDIDKit(true));
}

// ---- timing loop ----

async function bench(n, file) {
  const unsigned = JSON.parse(readFileSync(file, 'utf8'));
  delete unsigned.proof;
  const res = {};
  const time = async (name, fn) => {
    await fn(); // warm up
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await fn();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    // Wall-clock ops/s, and ops per CPU-second (what a loaded, shared
    // machine does not distort).
    res[name] = {ops_s: Math.round(n / s), ops_cpu_s: Math.round(n / ((c.user + c.system) / 1e6))};
  };
  const v2 = {...unsigned, '@context': [...unsigned['@context']]};
  const seed = new Uint8Array(32).fill(7);
  const k2020 = await Ed25519VerificationKey2020.generate({seed});
  const did = 'did:key:' + k2020.fingerprint();
  k2020.id = did + '#' + k2020.fingerprint(); k2020.controller = did;
  const v1 = {...v2, '@context': ['https://www.w3.org/2018/credentials/v1', ...v2['@context'].slice(1), 'https://w3id.org/security/suites/ed25519-2020/v1'], issuer: {...v2.issuer, id: did}, issuanceDate: v2.validFrom};
  delete v1.validFrom; delete v1.validUntil; delete v1.credentialStatus;
  const v2d = {...v2, issuer: {...v2.issuer, id: did}};
  delete v2d.credentialStatus;
  const l2020 = loaderFor(ed2020Driver), lmk = loaderFor(multikeyDriver);
  let s2020, sdi;
  await time('db_ed25519signature2020_sign', async () => { s2020 = await dbvc.issue({credential: structuredClone(v1), suite: new Ed25519Signature2020({key: k2020}), documentLoader: l2020}); });
  await time('db_ed25519signature2020_verify', async () => { const r = await dbvc.verifyCredential({credential: s2020, suite: new Ed25519Signature2020(), documentLoader: l2020}); if (!r.verified) throw r.error; });
  const mk = await Ed25519Multikey.generate({seed});
  mk.id = 'did:key:' + mk.publicKeyMultibase + '#' + mk.publicKeyMultibase; mk.controller = 'did:key:' + mk.publicKeyMultibase;
  const v2m = {...v2d, issuer: {...v2d.issuer, id: mk.controller}};
  await time('db_eddsa_rdfc_2022_sign', async () => { sdi = await dbvc.issue({credential: structuredClone(v2m), suite: new DataIntegrityProof({signer: mk.signer(), cryptosuite: eddsaRdfc2022}), documentLoader: lmk}); });
  await time('db_eddsa_rdfc_2022_verify', async () => { const r = await dbvc.verifyCredential({credential: sdi, suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022}), documentLoader: lmk}); if (!r.verified) throw r.error; });
  const jwk = didkit.generateEd25519Key();
  const ddid = didkit.keyToDID('key', jwk);
  const vm = await didkit.keyToVerificationMethod('key', jwk);
  const dv1 = inlineContexts({...v1, issuer: {...v1.issuer, id: ddid}});
  let dk, dj;
  await time('didkit_ed25519signature2020_sign', async () => { dk = await didkit.issueCredential(JSON.stringify(dv1), JSON.stringify({type: 'Ed25519Signature2020', verificationMethod: vm, proofPurpose: 'assertionMethod'}), jwk); });
  await time('didkit_ed25519signature2020_verify', async () => { const r = JSON.parse(await didkit.verifyCredential(dk, '{"proofPurpose":"assertionMethod"}')); if (r.errors.length) throw new Error(r.errors.join()); });
  await time('didkit_jwt_sign', async () => { dj = await didkit.issueCredential(JSON.stringify(dv1), JSON.stringify({proofFormat: 'jwt', verificationMethod: vm, proofPurpose: 'assertionMethod'}), jwk); });
  await time('didkit_jwt_verify', async () => { const r = JSON.parse(await didkit.verifyCredential(dj, '{"proofFormat":"jwt"}')); if (r.errors.length) throw new Error(r.errors.join()); });
  return res;
}

const [mode, arg, arg2] = process.argv.slice(2);
if (mode === 'verify') {
  process.stdout.write(JSON.stringify(await verifyDir(arg), null, 1) + '\n');
} else if (mode === 'issue') {
  await issueDir(arg);
  console.log('issued into', basename(arg));
} else if (mode === 'bench') {
  process.stdout.write(JSON.stringify(await bench(Number(arg), arg2)) + '\n');
} else {
  console.error('usage: node verify.mjs verify DIR | issue DIR | bench N FILE');
  process.exit(2);
}
