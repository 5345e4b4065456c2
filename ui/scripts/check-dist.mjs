// After `vite build`: the Tauri CSP (script-src/style-src 'self') forbids inline script and
// style, so fail the build if dist/ has any, or any eval, or a remote asset.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const files = (d) =>
  readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]));
const problems = [];

const html = readFileSync(join(dist, 'index.html'), 'utf8');
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
  if (!/\bsrc=/.test(m[1]) || m[2].trim() !== '') problems.push('index.html: inline <script>');
}
if (/<style\b/.test(html)) problems.push('index.html: inline <style>');
if (/\sstyle=/.test(html)) problems.push('index.html: style attribute');
if (/(src|href)="(https?:)?\/\//.test(html)) problems.push('index.html: remote asset');

let bytes = 0;
for (const f of files(dist)) {
  bytes += statSync(f).size;
  if (f.endsWith('.js') && /\beval\(|new Function\(/.test(readFileSync(f, 'utf8'))) {
    problems.push(`${f}: eval`);
  }
}
if (!files(dist).some((f) => f.endsWith('.css'))) problems.push('no CSS file emitted');

if (problems.length) {
  console.error(`dist/ breaks the CSP:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`dist/ is CSP-clean: ${files(dist).length} files, ${(bytes / 1024).toFixed(1)} KiB`);
