// Figures never break: loads every page in Chromium at the given widths, at 100 % and 200 % text,
// and fails when a table cell (or a .keep/.date span) holding an amount, count, percent, date or
// code is laid out on more than one line. The accessibility checks cannot see this ("306,82|1.43"
// reads as two numbers).
// Usage: node wrap.mjs [--mobile] [--widths=320,375] [--zooms=1,2] <dir|file|url>...
import { parseArgs, resolveTargets, launch, newContext, guardNetwork } from './lib.mjs';

const { opts, targets } = parseArgs(process.argv.slice(2), { mobile: 'bool', widths: 'val', zooms: 'val', concurrency: 'val' });
if (!targets.length) { console.error('usage: node wrap.mjs [--mobile] [--widths=320,375] [--zooms=1,2] <dir|file|url>...'); process.exit(2); }
const widths = (opts.widths || '320,375').split(',').map(Number);
const zooms = (opts.zooms || '1,2').split(',').map(Number);

// In the page: every cell whose whole text is one figure, and how many line boxes its text has.
function measure() {
  const figure = /^[-−+]?(?=.*\d)[0-9A-Z][0-9A-Z,.:%\-]*$/;
  const out = [];
  for (const cell of document.querySelectorAll('td, th, .keep, .date')) {
    const text = cell.textContent.replace(/\s+/g, ' ').trim();
    if (!figure.test(text)) continue;
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set();
    for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) tops.add(Math.round(r.top));
    // Rects of one line can differ in top by a pixel or two (mixed fonts); cluster them.
    const lines = [...tops].sort((a, b) => a - b).filter((t, i, a) => i === 0 || t - a[i - 1] > 4).length;
    if (lines > 1) out.push({ text, lines, where: cell.closest('table')?.querySelector('caption')?.textContent.trim().slice(0, 30) || '' });
  }
  return out;
}

const { urls, close } = await resolveTargets(targets);
const browser = await launch();
let failures = 0; let cells = 0;
try {
  // One load per page; the widths and text sizes are applied to the loaded page in turn.
  const queue = [...urls];
  const worker = async () => {
    const ctx = await newContext(browser, { mobile: true, width: widths[0], ua: opts.mobile ? 'wechat-android' : undefined });
    const page = await ctx.newPage();
    await guardNetwork(page, []);
    for (let url; (url = queue.shift()); ) {
      await page.goto(url, { waitUntil: 'load', timeout: 30000 });
      cells += await page.evaluate(() => document.querySelectorAll('td, th').length);
      for (const zoom of zooms) {
        await page.evaluate(z => { document.documentElement.style.setProperty('font-size', `${z * 100}%`, 'important'); }, zoom);
        for (const width of widths) {
          await page.setViewportSize({ width, height: 667 });
          for (const b of await page.evaluate(measure)) {
            failures++;
            if (failures <= 60) console.log(`WRAP ${url} @${width}px ×${zoom}: "${b.text}" on ${b.lines} lines (${b.where})`);
          }
        }
      }
    }
    await ctx.close();
  };
  await Promise.all(Array.from({ length: Math.max(1, +(opts.concurrency || 3)) }, worker));
} finally { await browser.close(); close(); }
console.log(`\n${failures} wrapped figure(s) in ${urls.length} page(s), ${cells} cells measured at ${widths.join(', ')} px × text ${zooms.join(', ')}`);
process.exit(failures ? 1 : 0);
