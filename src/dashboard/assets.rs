//! The page's style sheet and script, served by the binary (no CDN): the script keeps the
//! Runs view live (it polls the database's version and swaps the matrix in place, keeping
//! the scroll position and the opened tests) and asks before any action.

/// `/style.css`.
pub(super) const STYLE: &str = r#"
body { font-family: sans-serif; margin: 1em; color: #222; }
header { display: flex; gap: 1em; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 1.3em; margin: 0; }
form.filters { display: flex; gap: .5em; flex-wrap: wrap; margin: .5em 0; }
form.filters input { width: 10em; }
table.matrix { border-collapse: collapse; font-size: .85em; }
table.matrix th, table.matrix td { border: 1px solid #ccc; padding: 2px 6px; }
table.matrix th.run { font-weight: normal; white-space: nowrap; }
table.matrix th.name { text-align: left; white-space: nowrap; font-weight: normal; }
table.matrix tr.item th.name { padding-left: 2em; color: #555; }
table.matrix td { text-align: center; }
table.matrix td[data-id] { cursor: pointer; }
table.matrix td.none { background: #fafafa; }
button.toggle { border: none; background: none; cursor: pointer; padding: 0 .3em 0 0; }
div.pager { margin: .5em 0; display: flex; gap: 1em; }
div.verdict { display: inline-block; padding: .3em 1em; font-weight: bold; }
table.fields th, table.steps th, table.data th { text-align: left; padding-right: 1em; }
table.steps td, table.data td { padding-right: 1em; }
form.action { margin: .5em 0; }
p.note, p.empty { color: #666; }
"#;

/// `/app.js`.
pub(super) const SCRIPT: &str = r#"
(function () {
  const opened = new Set(JSON.parse(sessionStorage.getItem('mt-opened') || '[]'));
  function applyOpened() {
    document.querySelectorAll('tr.item').forEach(function (row) {
      row.hidden = !opened.has(row.dataset.of);
    });
    document.querySelectorAll('button.toggle').forEach(function (b) {
      b.textContent = opened.has(b.dataset.toggle) ? '▾' : '▸';
    });
  }
  document.addEventListener('click', function (e) {
    const cell = e.target.closest('td[data-id]');
    if (cell) {
      const token = new URLSearchParams(window.location.search).get('token');
      window.location.href = '/test/' + cell.dataset.id + (token ? '?token=' + encodeURIComponent(token) : '');
      return;
    }
    const b = e.target.closest('button.toggle');
    if (!b) return;
    const name = b.dataset.toggle;
    if (opened.has(name)) opened.delete(name); else opened.add(name);
    sessionStorage.setItem('mt-opened', JSON.stringify(Array.from(opened)));
    applyOpened();
  });
  document.addEventListener('submit', function (e) {
    const form = e.target.closest('form.action');
    if (form && !window.confirm(form.dataset.confirm || 'Sure?')) e.preventDefault();
  });
  const live = document.getElementById('matrix');
  if (live) {
    applyOpened();
    // The version the page was made at: a change before the first poll is not lost.
    let version = live.dataset.version || null;
    async function poll() {
      try {
        const v = await (await fetch('/version', { cache: 'no-store' })).text();
        if (version !== null && v !== version) {
          const html = await (await fetch('/matrix' + window.location.search, { cache: 'no-store' })).text();
          live.innerHTML = html;
          applyOpened();
          live.dataset.version = v;
        }
        version = v;
      } catch (err) { /* the server may be restarting: try again */ }
      setTimeout(poll, 500);
    }
    poll();
  }
})();
"#;
