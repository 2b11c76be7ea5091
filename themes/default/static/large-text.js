// 大字版 (large text): remembers the reader's choice across pages. Without JavaScript the
// "大字版" link still enlarges the current page (CSS :target) and browser zoom works as usual.
(function () {
  var KEY = 'pilu-dazi';
  var root = document.documentElement;
  function apply(on) {
    root.classList.toggle('dazi', on);
    var links = document.querySelectorAll('[data-dazi]');
    for (var i = 0; i < links.length; i++) {
      links[i].setAttribute('role', 'button');
      links[i].setAttribute('aria-pressed', on ? 'true' : 'false');
    }
  }
  var on = false;
  try { on = localStorage.getItem(KEY) === '1'; } catch (e) { /* storage blocked: per page only */ }
  apply(on);
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest ? ev.target.closest('[data-dazi]') : null;
    if (!a) return;
    ev.preventDefault();
    on = !root.classList.contains('dazi');
    apply(on);
    try { localStorage.setItem(KEY, on ? '1' : '0'); } catch (e) { /* ignore */ }
  });
})();
