// Charts and comparison views in Chromium: every chart is an image named by its sentence (the
// accessible name equals the text the SVG points at), charts stay inside the page at 320 px with
// 200 % text, and a comparison's column header link opens the view sorted by that column.
// Usage: node charts.mjs <site-dir>   (the built example site; exit status 1 on any failure)
import { resolveTargets, launch, newContext, guardNetwork } from './lib.mjs';

const dir = process.argv[2];
if (!dir) { console.error('usage: node charts.mjs <site-dir>'); process.exit(2); }
const { urls, close } = await resolveTargets([dir]);
const base = new URL(urls[0]).origin + '/';
const browser = await launch();
let failures = 0; let checked = 0;
const fail = msg => { failures++; console.log(`FAIL ${msg}`); };
try {
  for (const [mobile, prefix] of [[false, ''], [true, 'm/']]) {
    const ctx = await newContext(browser, { mobile, width: mobile ? 320 : undefined });
    const page = await ctx.newPage();
    await guardNetwork(page, []);
    // Charts: accessible names, then the layout at 320 px and 200 % text.
    for (const entity of ['520300', 'H52030200002']) {
      const url = `${base}${prefix}e/${entity}/index.html`;
      await page.goto(url, { waitUntil: 'load' });
      const charts = page.locator('svg.chart');
      const n = await charts.count();
      if (n === 0) fail(`${url}: no charts`);
      if (await page.getByRole('img').count() < n) fail(`${url}: charts not exposed as images`);
      for (let i = 0; i < n; i++) {
        const svg = charts.nth(i);
        const id = await svg.getAttribute('aria-labelledby');
        const sentence = (await page.locator(`[id="${id}"]`).innerText()).trim();
        const snap = await svg.ariaSnapshot();
        if (!sentence || !snap.includes(`img "${sentence}"`)) fail(`${url}: chart ${i} is named ${snap}, not “${sentence}”`);
        // the data table follows the chart in its figure
        const rows = await svg.locator('xpath=..').locator('tbody tr').count();
        if (rows !== await svg.locator('text').count()) fail(`${url}: chart ${i} has ${rows} table rows for its years`);
        checked++;
      }
      if (mobile) {
        await page.setViewportSize({ width: 320, height: 667 });
        await page.evaluate(() => document.documentElement.style.setProperty('font-size', '200%', 'important'));
        const out = await page.evaluate(() => {
          const bad = [];
          const w = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth > w + 1) bad.push(`page scrolls sideways (${document.documentElement.scrollWidth} > ${w})`);
          for (const svg of document.querySelectorAll('svg.chart')) {
            const box = svg.getBoundingClientRect();
            if (box.right > w + 1 || box.left < -1) bad.push(`chart ${svg.getAttribute('aria-labelledby')} overflows (${box.left}–${box.right})`);
            for (const el of svg.querySelectorAll('rect, text')) {
              const r = el.getBoundingClientRect();
              if (r.right > box.right + 1 || r.left < box.left - 1 || r.bottom > box.bottom + 1) bad.push(`${el.tagName} “${el.textContent}” leaves chart ${svg.getAttribute('aria-labelledby')}`);
            }
          }
          return bad;
        });
        out.forEach(b => fail(`${url} @320px ×2: ${b}`));
        await page.setViewportSize({ width: 375, height: 667 });
      }
    }
    // Sorting without script: the header link opens the sorted view.
    const url = `${base}${prefix}y/2023/compare/institution_overview/level3/index.html`;
    await page.goto(url, { waitUntil: 'load' });
    const link = page.locator('thead th a', { hasText: '医保基金支付总额' });
    await Promise.all([page.waitForURL(/by-hi_fund_pay\.html$/), link.click()]);
    const sorted = await page.evaluate(() => {
      const ths = [...document.querySelectorAll('thead th')];
      const col = ths.findIndex(th => th.getAttribute('aria-sort') === 'descending');
      const values = [...document.querySelectorAll('tbody tr')].map(tr => tr.children[col]?.textContent.replace(/,/g, ''));
      return { label: ths[col]?.textContent ?? '', values, others: ths.filter(th => th.hasAttribute('aria-sort')).length };
    });
    if (!sorted.label.includes('医保基金支付总额') || sorted.others !== 1) fail(`${url}: the sorted view marks “${sorted.label}” (${sorted.others} sorted columns)`);
    const nums = sorted.values.map(Number);
    if (nums.length < 2 || nums.some(Number.isNaN) || nums.some((v, i) => i > 0 && v > nums[i - 1])) fail(`${url}: not largest first: ${sorted.values}`);
    checked++;
    await ctx.close();
  }
} finally { await browser.close(); close(); }
console.log(`\n${failures} failure(s), ${checked} check(s)`);
process.exit(failures ? 1 : 0);
