// Search page: loads only the index scripts a query needs (works from disk). See src/search.rs.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var form = $('search-form'), input = $('q'), status = $('search-status'), list = $('search-results'), more = $('search-more');
  if (!form || !Array.from) return;
  var base = form.getAttribute('data-index'), root = form.getAttribute('data-root');
  var cache = {}, waiting = {}, man, current = 0, timer;
  $('search-nojs').hidden = true;

  window.pilu_search = function (type, id, data) {
    var k = type + id, w = waiting[k] || [];
    cache[k] = data;
    delete waiting[k];
    w.forEach(function (f) { f(); });
  };
  function load(keys, done) {
    var left = keys.length + 1;
    var one = function () { if (!--left) done(); };
    keys.forEach(function (k) {
      if (k in cache) return one();
      if (waiting[k]) return waiting[k].push(one);
      waiting[k] = [one];
      var s = document.createElement('script');
      s.src = base + (k === 'i0' ? 'index' : k) + '.js';
      s.onerror = function () { window.pilu_search(k.charAt(0), k.slice(1), null); }; // no such code
      document.head.appendChild(s);
    });
    one();
  }
  function fold(s) { return s.normalize('NFKC').toUpperCase(); }
  // sets of body numbers: sorted [start, end) ranges
  function union(a, b) {
    var out = [];
    a.concat(b).sort(function (x, y) { return x[0] - y[0]; }).forEach(function (r) {
      var l = out[out.length - 1];
      if (l && r[0] <= l[1]) l[1] = Math.max(l[1], r[1]); else out.push([r[0], r[1]]);
    });
    return out;
  }
  function intersect(a, b) {
    var out = [], i = 0, j = 0;
    while (i < a.length && j < b.length) {
      var lo = Math.max(a[i][0], b[j][0]), hi = Math.min(a[i][1], b[j][1]);
      if (lo < hi) out.push([lo, hi]);
      if (a[i][1] < b[j][1]) i++; else j++;
    }
    return out;
  }
  function runs(flat) {
    var out = [], at = 0;
    for (var i = 0; i + 1 < flat.length; i += 2) { at += flat[i]; out.push([at, at += flat[i + 1]]); }
    return out;
  }
  function group(n) {
    var g = man.groups, lo = 0, hi = g.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (g[mid][0] <= n) lo = mid; else hi = mid - 1; }
    return g[lo];
  }
  function groupHit(g, w) {
    var r = man.regions[g[1]];
    return fold(r[1] + ' ' + man.kinds[g[2]].join(' ') + ' ' + man.levels[g[3]]).indexOf(w) >= 0 || r[0].indexOf(w) === 0;
  }
  function codeKey(w) {
    var n = /^[0-9]/.test(w) ? 6 : 7;
    return /^[A-Z0-9]+$/.test(w) && /[0-9]/.test(w) && w.length >= n ? 'c' + w.slice(0, n) : null;
  }
  function pkey(c) { return 'p' + (c.codePointAt(0) % man.p); }

  // A word's candidates: names with its characters, its region/kind/level, codes it starts.
  function candidates(words) {
    var pk = [], ck = [], chars = words.map(function (w) {
      var k = codeKey(w);
      if (k && ck.indexOf(k) < 0 && ck.length < man.lim.c) ck.push(k);
      return Array.from(new Set(Array.from(w))).filter(function (c) {
        var p = pkey(c);
        if (man.stop.indexOf(c) >= 0 || pk.indexOf(p) < 0 && pk.length >= man.lim.p) return false;
        if (pk.indexOf(p) < 0) pk.push(p);
        return true;
      });
    });
    return { keys: pk.concat(ck), set: function () {
      var set = [[0, man.n]];
      words.forEach(function (w, i) {
        var found = set, k = codeKey(w);
        chars[i].forEach(function (c) { var p = cache[pkey(c)]; found = intersect(found, p && p[c] ? runs(p[c]) : []); });
        man.groups.forEach(function (g, j) {
          if (groupHit(g, w)) found = union(found, [[g[0], j + 1 < man.groups.length ? man.groups[j + 1][0] : man.n]]);
        });
        (k && cache[k] || []).forEach(function (c) { if (c[0].indexOf(w) === 0) found = union(found, [[c[1], c[1] + 1]]); });
        set = intersect(set, found);
      });
      return set;
    } };
  }
  function matches(words, g, rec) {
    var name = fold(rec[0]), code = fold(rec[1]);
    return words.every(function (w) { return name.indexOf(w) >= 0 || code.indexOf(w) === 0 || groupHit(g, w); });
  }
  function show(g, rec) {
    var li = document.createElement('li'), a = document.createElement('a'), meta = document.createElement('span'), code = document.createElement('span');
    a.href = root + 'e/' + (rec[2] || rec[1]) + '/index.html';
    a.textContent = rec[0];
    meta.className = 'meta';
    meta.textContent = [man.kinds[g[2]][0], man.levels[g[3]], man.regions[g[1]][1]].filter(Boolean).join(' · ') + ' · ';
    code.className = 'fig';
    code.textContent = rec[1];
    meta.appendChild(code);
    li.append(a, ' ', meta);
    list.appendChild(li);
  }
  // One step reads at most lim.r record shards.
  function step(q, token) {
    var shards = [], rest = [];
    q.todo.forEach(function (r) {
      for (var n = r[0]; n < r[1]; n = (Math.floor(n / man.r) + 1) * man.r) {
        var k = 'r' + Math.floor(n / man.r);
        if (shards.indexOf(k) < 0 && shards.length >= man.lim.r) { rest.push([n, r[1]]); return; }
        if (shards.indexOf(k) < 0) shards.push(k);
      }
    });
    load(shards, function () {
      if (token !== current) return;
      var todo = intersect(q.todo, [[0, rest.length ? rest[0][0] : man.n]]);
      q.todo = rest;
      todo.forEach(function (r) {
        for (var n = r[0]; n < r[1]; n++) {
          var rec = cache['r' + Math.floor(n / man.r)][n % man.r], g = group(n);
          if (matches(q.words, g, rec)) { q.found++; show(g, rec); }
        }
      });
      var done = !rest.length;
      status.textContent = q.found
        ? (done ? '找到 ' : '已找到 ') + q.found + ' 个结果' + (done ? '。' : '，还可继续查找。')
        : done ? '没有找到“' + q.text + '”。请换个说法，或按下方地区浏览。' : '尚未找到，还可继续查找。';
      more.hidden = done;
      more.onclick = function () { step(q, token); };
    });
  }
  function run(text) {
    var token = ++current, words = fold(text).split(/\s+/).filter(Boolean);
    list.textContent = '';
    more.hidden = true;
    status.textContent = words.length ? '正在搜索……' : '';
    if (!words.length) return;
    load(['i0'], function () {
      man = cache.i0;
      if (token !== current || !man) return;
      var c = candidates(words);
      load(c.keys, function () {
        if (token === current) step({ words: words, text: text.trim(), found: 0, todo: c.set() }, token);
      });
    });
  }
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 300);
  });
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    clearTimeout(timer);
    try { history.replaceState(null, '', '?q=' + encodeURIComponent(input.value)); } catch (e) { /* file:// */ }
    run(input.value);
  });
  var m = /[?&]q=([^&]*)/.exec(location.search);
  if (m) {
    try { input.value = decodeURIComponent(m[1].replace(/\+/g, ' ')); } catch (e) { /* bad escape */ }
    run(input.value);
  }
})();
