// README screenshots from a built site: phone (375 px) and desktop (1280 px), light and dark.
// Usage: node screenshots.mjs <built-site-dir> <out-dir>
import { resolveTargets, launch, newContext } from './lib.mjs';
import path from 'node:path';

const [site, out] = process.argv.slice(2);
if (!site || !out) { console.error('usage: node screenshots.mjs <built-site-dir> <out-dir>'); process.exit(2); }
const pages = { home: 'index.html', entity: 'e/520300/index.html', 'entity-year': 'e/520300/2023/index.html' };
const shots = [];
for (const [name, rel] of Object.entries(pages)) {
  shots.push({ file: `${name}`, rel: `m/${rel}`, mobile: true });
  if (name !== 'entity') shots.push({ file: `desktop-${name}`, rel, mobile: false });
}
const { urls, close } = await resolveTargets([path.join(site, 'index.html')]);
const base = urls[0].replace(/index\.html$/, '');
const browser = await launch();
try {
  for (const dark of [false, true]) {
    for (const s of shots) {
      const ctx = await newContext(browser, { mobile: s.mobile, dark });
      const page = await ctx.newPage();
      await page.goto(base + s.rel, { waitUntil: 'load' });
      const file = path.join(out, `${s.file}-${dark ? 'dark' : 'light'}.png`);
      await page.screenshot({ path: file, fullPage: false });
      console.log(file);
      await ctx.close();
    }
  }
} finally { await browser.close(); close(); }
