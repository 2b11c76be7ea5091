import { launch, newContext } from './lib.mjs';
const urls = process.argv.slice(2);
const browser = await launch();
let bad = 0;
for (const width of [320, 375]) for (const zoom of [1, 2]) {
  const ctx = await newContext(browser, { mobile: true, width });
  for (const url of urls) {
    const page = await ctx.newPage();
    await page.goto(url, { waitUntil: 'load' });
    if (zoom !== 1) await page.addStyleTag({ content: `html{font-size:${zoom * 100}% !important}` });
    const r = await page.evaluate(() => {
      const re = /\d{4}-\d{2}-\d{2}|[HP]\d{11}|\d{4}年\d{1,2}月\d{1,2}日|\d{3,4}-\d{7,8}/g;
      const out = [];
      const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n; (n = w.nextNode()); ) {
        if (n.parentElement.closest('.visually-hidden')) continue;
        for (const m of n.data.matchAll(re)) {
          const range = document.createRange(); range.setStart(n, m.index); range.setEnd(n, m.index + m[0].length);
          const tops = [...new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)))].sort((a,b)=>a-b).filter((t,i,a)=>i===0||t-a[i-1]>4);
          if (tops.length > 1) out.push(m[0] + ' in <' + n.parentElement.tagName.toLowerCase() + '.' + n.parentElement.className + '> ' + (n.parentElement.closest('td,th') ? 'CELL' : ''));
        }
      }
      return { out, sw: document.documentElement.scrollWidth };
    });
    for (const o of r.out) { bad++; console.log(`WRAP ${url} @${width} x${zoom}: ${o}`); }
    if (r.sw > width) console.log(`SIDEWAYS ${url} @${width} x${zoom}: ${r.sw}`);
    await page.close();
  }
  await ctx.close();
}
await browser.close();
console.log(bad + ' wrapped');
