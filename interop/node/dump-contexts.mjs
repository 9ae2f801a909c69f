// Writes the bundled contexts as files (for the Go loader's embed):
// node dump-contexts.mjs OUTDIR
import {writeFileSync, mkdirSync} from 'node:fs';
import {contexts} from './contexts.mjs';
const out = process.argv[2];
mkdirSync(out, {recursive: true});
const index = {};
for (const [url, doc] of contexts) {
  const name = url.replace(/^https:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_') + (url.endsWith('.json') || url.endsWith('.jsonld') ? '' : '.jsonld');
  writeFileSync(`${out}/${name}`, JSON.stringify(doc, null, 1) + '\n');
  index[url] = name;
}
writeFileSync(`${out}/index.json`, JSON.stringify(index, null, 1) + '\n');
console.log(Object.keys(index).length, 'contexts');
