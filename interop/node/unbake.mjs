// Independent unbaking of credshare's baked badges (Open Badges 3.0,
// "Badge Baking"), with code that shares nothing with vc/bake:
//
//   node unbake.mjs FILE...   for each FILE (.png or .svg) print one line of
//                             JSON {"file", "credential"} or {"file", "error"}.
//
// PNG: the chunks are read by png-chunks-extract (which checks the signature,
// IHDR first and every chunk's CRC-32); the iTXt chunk of keyword
// "openbadgecredential" is split into its fields as the PNG specification
// lays them out (keyword, NUL, compression flag, method, language tag, NUL,
// translated keyword, NUL, UTF-8 text; a compressed text is inflated).
// SVG: the document is read by sax in strict, namespace-aware mode; the
// credential is the element "credential" in the namespace
// https://purl.imsglobal.org/ob/v3p0: its verify attribute (a VC-JWT) or
// else its text and CDATA, trimmed. Exactly one credential per image.
import {readFileSync} from 'node:fs';
import {basename} from 'node:path';
import {inflateSync} from 'node:zlib';
import extractChunks from 'png-chunks-extract';
import sax from 'sax';

const OB3_NS = 'https://purl.imsglobal.org/ob/v3p0';
const KEYWORD = 'openbadgecredential';

function nul(buf, from) {
  const i = buf.indexOf(0, from);
  if (i < 0) throw new Error('iTXt: missing NUL separator');
  return i;
}

export function unbakePNG(bytes) {
  const found = [];
  for (const c of extractChunks(bytes)) {
    if (c.name !== 'iTXt') continue;
    const d = Buffer.from(c.data);
    const k = nul(d, 0);
    if (d.subarray(0, k).toString('latin1') !== KEYWORD) continue;
    const flag = d[k + 1], method = d[k + 2];
    const lang = nul(d, k + 3);
    const translated = nul(d, lang + 1);
    let text = d.subarray(translated + 1);
    if (flag === 1) {
      if (method !== 0) throw new Error(`iTXt: compression method ${method}`);
      text = inflateSync(text);
    } else if (flag !== 0) {
      throw new Error(`iTXt: compression flag ${flag}`);
    }
    found.push(new TextDecoder('utf-8', {fatal: true}).decode(text));
  }
  if (found.length !== 1) throw new Error(`${found.length} ${KEYWORD} iTXt chunks`);
  return found[0];
}

export function unbakeSVG(text) {
  const parser = sax.parser(true, {xmlns: true});
  const found = [];
  let depth = 0, inCred = -1, buf = '', attr = null;
  parser.onerror = (e) => { throw e; };
  parser.onopentag = (node) => {
    depth++;
    if (node.uri === OB3_NS && node.local === 'credential') {
      if (inCred >= 0) throw new Error('nested credential elements');
      inCred = depth;
      buf = '';
      const v = Object.values(node.attributes).find((a) => a.local === 'verify' && a.uri === '');
      attr = v ? v.value : null;
    }
  };
  const addText = (t) => { if (inCred >= 0) buf += t; };
  parser.ontext = addText;
  parser.oncdata = addText;
  parser.onclosetag = () => {
    if (inCred === depth) {
      found.push(attr !== null ? attr.trim() : buf.trim());
      inCred = -1;
    }
    depth--;
  };
  parser.write(text).close();
  if (found.length !== 1) throw new Error(`${found.length} openbadges credential elements`);
  return found[0];
}

for (const file of process.argv.slice(2)) {
  try {
    const bytes = readFileSync(file);
    let credential;
    if (file.endsWith('.png')) credential = unbakePNG(bytes);
    else if (file.endsWith('.svg')) credential = unbakeSVG(bytes.toString('utf8'));
    else throw new Error('neither .png nor .svg');
    console.log(JSON.stringify({file: basename(file), credential}));
  } catch (e) {
    console.log(JSON.stringify({file: basename(file), error: String(e && e.message || e)}));
  }
}
