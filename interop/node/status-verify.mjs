// Independent check of credshare status lists with Digital Bazaar's
// status-list libraries, fully offline.
//
//   node status-verify.mjs CASES.json
//
// CASES.json: {"cases": [{"name": N, "credential": VC, "lists": {URL: DOC}}]}.
// Each credential is verified with @digitalbazaar/vc (its own proof) and its
// credentialStatus checked with @digitalbazaar/vc-bitstring-status-list
// (BitstringStatusListEntry) or @digitalbazaar/vc-status-list
// (StatusList2021Entry); list credentials are served to the document loader
// from "lists" by URL and their proofs verified. Prints
// {"results": {N: {verified, statusVerified, set: [purpose…], error}}}:
// "verified" is the credential's proof, "statusVerified" that every list
// loaded, verified and matched, "set" the purposes whose bit is set.
import {readFileSync} from 'node:fs';
import * as dbvc from '@digitalbazaar/vc';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as didKey from '@digitalbazaar/did-method-key';
import * as bitstringStatus from '@digitalbazaar/vc-bitstring-status-list';
import * as statusList2021 from '@digitalbazaar/vc-status-list';
import {makeLoader} from './contexts.mjs';

// Data Integrity suites take did:key methods as Multikey; Ed25519Signature2020
// as Ed25519VerificationKey2020.
function keyDriver(from) {
  const d = didKey.driver();
  d.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: from});
  return d;
}
const drivers = {
  multikey: keyDriver(Ed25519Multikey.from),
  ed2020: keyDriver(Ed25519VerificationKey2020.from),
};

// A loader that serves the case's lists by URL, then contexts and did:key.
function loader(driver, lists) {
  const base = makeLoader(async (url) => {
    if (!url.startsWith('did:key:')) throw new Error(`offline: cannot resolve ${url}`);
    return driver.get({url});
  });
  return async (url) => {
    if (Object.hasOwn(lists, url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(lists[url])};
    }
    return base(url);
  };
}

function text(e) {
  if (!e) return '';
  if (Array.isArray(e)) return e.map(text).join('; ');
  if (e.errors) return text(e.errors);
  return String(e.message || e) + (e.cause ? ' (' + text(e.cause) + ')' : '');
}

async function check(c) {
  const cred = c.credential;
  const proof = [].concat(cred.proof || [])[0] || {};
  const ed2020 = proof.type === 'Ed25519Signature2020';
  const suite = ed2020 ? new Ed25519Signature2020() : new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const documentLoader = loader(ed2020 ? drivers.ed2020 : drivers.multikey, c.lists || {});
  // List credentials may carry either proof; each list needs a loader that
  // resolves its key in the form its suite expects.
  const listSuite = [new Ed25519Signature2020(), new DataIntegrityProof({cryptosuite: eddsaRdfc2022})];
  const entries = [].concat(cred.credentialStatus || []);
  const lib = entries.every(e => e.type === 'StatusList2021Entry') ? statusList2021 : bitstringStatus;
  const statusLoaderFor = (listURL) => {
    const doc = (c.lists || {})[listURL];
    const p = doc && [].concat(doc.proof || [])[0];
    return loader(p && p.type === 'Ed25519Signature2020' ? drivers.ed2020 : drivers.multikey, c.lists || {});
  };
  const checkStatus = async ({credential}) => {
    // Every entry is checked with the loader matching its list's proof.
    const results = [];
    for (const e of entries) {
      const one = {...credential, credentialStatus: e};
      const r = await lib.checkStatus({
        credential: one, documentLoader: statusLoaderFor(e.statusListCredential), suite: listSuite,
        verifyStatusListCredential: true, verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true,
      });
      // vc-bitstring-status-list reports the bit in results[].status and
      // "verified" for the list itself; vc-status-list folds the bit into
      // "verified" (false when set) and reports list failures as "error".
      if (lib === bitstringStatus) {
        results.push({purpose: e.statusPurpose, verified: !!r.verified, status: (r.results || []).some(x => x.status === true), error: r.error});
      } else {
        results.push({purpose: e.statusPurpose, verified: !r.error, status: !r.verified && !r.error, error: r.error});
      }
    }
    return {verified: results.every(r => r.verified), results, error: results.map(r => r.error).filter(Boolean)[0]};
  };
  const r = await dbvc.verifyCredential({credential: cred, suite, documentLoader, checkStatus});
  const sr = r.statusResult || {};
  return {
    verified: !!(r.results && r.results.every(x => x.verified)),
    statusVerified: !!sr.verified,
    set: (sr.results || []).filter(x => x.status === true).map(x => x.purpose),
    error: text(r.error) || text(sr.error) || text((sr.results || []).map(x => x.error).filter(Boolean)),
  };
}

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = {};
for (const c of input.cases) {
  try {
    results[c.name] = await check(c);
  } catch (e) {
    results[c.name] = {verified: false, statusVerified: false, set: [], error: text(e)};
  }
}
process.stdout.write(JSON.stringify({results}, null, 1) + '\n');
