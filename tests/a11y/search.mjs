#!/usr/bin/env node
// Search in Chromium, from disk (file://), in both themes (the phone theme as WeChat on Android).
// Usage: node search.mjs <site-dir> <cases.json>
//   cases.json: [{ "q": "湄潭", "expect": ["H52032800012", …] }, …] — the codes a query must find,
//   exactly (the test computes them from the registry on its own).
// Prints one JSON object: { failures: [...], checked: N }; exit status 1 when anything failed.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROMIUM, CHROME_ARGS, UA } from './lib.mjs';

const [dir, casesFile] = process.argv.slice(2);
if (!dir || !casesFile) { console.error('usage: node search.mjs <site-dir> <cases.json>'); process.exit(2); }
const cases = JSON.parse(fs.readFileSync(casesFile, 'utf8'));
const url = rel => pathToFileURL(path.join(path.resolve(dir), rel)).href;
const failures = [];
let checked = 0;
const fail = m => failures.push(m);

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_ARGS });
try {
  for (const [prefix, ua] of [['', undefined], ['m/', UA['wechat-android']]]) {
    const ctx = await browser.newContext({ userAgent: ua, viewport: prefix ? { width: 375, height: 800 } : { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
    const external = [];
    page.on('request', r => { if (!r.url().startsWith('file:')) external.push(r.url()); });
    // index files are the scripts the search injects (file:// loads leave no resource timing)
    const loaded = () => page.evaluate(() => [...document.querySelectorAll('script[src*="/search/"]')].map(s => s.src));

    // An entity page: the header form, and no index loaded until it is used.
    await page.goto(url(`${prefix}e/520300/index.html`));
    if ((await loaded()).length) fail(`${prefix}: the index loaded before any search`);
    if (await page.$('script[src$="assets/search.js"]')) fail(`${prefix}: an entity page loads the search script`);
    await page.fill('#site-q', cases[0].q);
    await Promise.all([page.waitForURL(/\/s\/index\.html\?q=/), page.press('#site-q', 'Enter')]);
    for (const c of cases) {
      const found = await query(page, c.q);
      checked++;
      const want = [...c.expect].sort(), got = found.codes.slice().sort();
      if (JSON.stringify(want) !== JSON.stringify(got)) fail(`${prefix}「${c.q}」: want ${want.join(' ')} got ${got.join(' ')}`);
      const n = want.length;
      if (n && !found.status.includes(`找到 ${n} 个结果`)) fail(`${prefix}「${c.q}」: status “${found.status}”`);
      if (!n && !found.status.includes('没有找到')) fail(`${prefix}「${c.q}」: status “${found.status}”`);
      if (!(await loaded()).some(n => n.endsWith('/search/index.js'))) fail(`${prefix}「${c.q}」: the index was not loaded`);
      for (const href of found.hrefs) if (!fs.existsSync(new URL(href).pathname)) fail(`${prefix}「${c.q}」: broken link ${href}`);
      const bad = (await loaded()).filter(n => !/\/search\/(index|p\d+|r\d+|c[0-9A-Z]+)\.js$/.test(n));
      if (bad.length) fail(`${prefix}: unexpected index files ${bad.join(' ')}`);
    }
    // The first result of a name query leads to its page.
    await query(page, cases[0].q);
    const first = page.locator('#search-results a').first();
    const name = await first.textContent();
    await Promise.all([page.waitForURL(/\/e\/[^/]+\/index\.html$/), first.click()]);
    const h1 = await page.textContent('h1');
    if (!h1.includes(name)) fail(`${prefix}: result “${name}” led to “${h1}”`);
    if (errors.length) fail(`${prefix}: script errors ${errors.join(' | ')}`);
    if (external.length) fail(`${prefix}: external requests ${external.join(' ')}`);
    await ctx.close();

    // Without JavaScript the form leads to the search page, which lists the directories.
    const nojs = await browser.newContext({ javaScriptEnabled: false, userAgent: ua });
    const p2 = await nojs.newPage();
    await p2.goto(url(`${prefix}index.html`));
    await p2.fill('#site-q', '湄潭');
    await Promise.all([p2.waitForURL(/\/s\/index\.html\?q=/), p2.press('#site-q', 'Enter')]);
    const dirs = await p2.$$eval('a[href*="d/"]', as => as.map(a => a.href));
    if (!dirs.length) fail(`${prefix}: without JavaScript the search page lists no directory`);
    for (const d of dirs) if (!fs.existsSync(new URL(d).pathname)) fail(`${prefix}: broken directory link ${d}`);
    if (!(await p2.isVisible('#search-nojs'))) fail(`${prefix}: without JavaScript the note is hidden`);
    checked++;
    await nojs.close();
  }
} finally {
  await browser.close();
}

async function query(page, q) {
  await page.fill('#q', q);
  await page.press('#q', 'Enter');
  await page.waitForFunction(() => {
    const s = document.getElementById('search-status').textContent;
    return s && !s.includes('正在搜索');
  }, null, { timeout: 10000 });
  // “继续查找” until every candidate was read (the example is small: one step)
  while (await page.isVisible('#search-more')) {
    const before = await page.textContent('#search-status');
    await page.click('#search-more');
    await page.waitForFunction(b => document.getElementById('search-status').textContent !== b, before);
  }
  return page.evaluate(() => ({
    status: document.getElementById('search-status').textContent,
    codes: [...document.querySelectorAll('#search-results li .fig')].map(e => e.textContent),
    hrefs: [...document.querySelectorAll('#search-results a')].map(a => a.href),
  }));
}

console.log(JSON.stringify({ failures, checked }));
process.exit(failures.length ? 1 : 0);
