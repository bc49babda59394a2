// Sorting and filtering for tables rendered by tableView({ sortable, filterable }) (src/widgets/table.tsx).
// The server sends a plain table inside <div class="data-table" data-sortable data-filterable>; this
// file turns each header into a sort button and adds a filter box with a live row count. It runs on
// page load and on htmx:load (step cards arrive later), and enhances each table once.
(function () {
  'use strict';

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  var NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;
  var tableCount = 0;

  // A cell's sort key: empty, a number, or text. Kinds order numbers before text.
  function keyOf(text) {
    var t = text.trim();
    if (t === '') return { kind: 2, n: 0, s: '' };
    if (NUMBER.test(t)) return { kind: 0, n: Number(t), s: t };
    return { kind: 1, n: 0, s: t };
  }

  function compareKeys(a, b) {
    if (a.kind !== b.kind) return a.kind - b.kind;
    if (a.kind === 0) return a.n - b.n;
    return collator.compare(a.s, b.s);
  }

  function enhance(box) {
    if (box.getAttribute('data-table-ready') === 'true') return;
    var table = box.querySelector('table');
    var tbody = table && table.tBodies[0];
    if (!table || !tbody || !table.tHead) return;
    box.setAttribute('data-table-ready', 'true');
    if (!table.id) table.id = 'data-table-' + (++tableCount) + '-' + Math.random().toString(36).slice(2, 8);

    // Rows in their first order; keys and lower-cased text are computed once, when first needed.
    var rows = Array.prototype.slice.call(tbody.rows);
    var keys = [];
    var texts = null;
    var state = { col: -1, dir: 1 };

    function keysFor(col) {
      if (!keys[col]) {
        keys[col] = rows.map(function (r) {
          var c = r.cells[col];
          return keyOf(c ? c.textContent || '' : '');
        });
      }
      return keys[col];
    }

    var headers = Array.prototype.slice.call(table.tHead.rows[0] ? table.tHead.rows[0].cells : []);

    function sortBy(col) {
      state.dir = state.col === col ? -state.dir : 1;
      state.col = col;
      var k = keysFor(col);
      var dir = state.dir;
      var order = rows.map(function (_r, i) { return i; });
      order.sort(function (i, j) {
        var a = k[i], b = k[j];
        // Empty cells stay last whichever way the column is sorted.
        if (a.kind === 2 || b.kind === 2) return (a.kind === 2 ? 1 : 0) - (b.kind === 2 ? 1 : 0) || i - j;
        return dir * compareKeys(a, b) || i - j;
      });
      var frag = document.createDocumentFragment();
      for (var n = 0; n < order.length; n++) frag.appendChild(rows[order[n]]);
      tbody.appendChild(frag);
      for (var h = 0; h < headers.length; h++) {
        if (h === col) headers[h].setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        else headers[h].removeAttribute('aria-sort');
      }
    }

    if (box.hasAttribute('data-sortable')) {
      headers.forEach(function (th, col) {
        // A real button inside the header: focusable, and Enter or Space press it.
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'th-sort';
        while (th.firstChild) button.appendChild(th.firstChild);
        var mark = document.createElement('span');
        mark.className = 'th-sort-mark';
        mark.setAttribute('aria-hidden', 'true');
        button.appendChild(mark);
        button.addEventListener('click', function () { sortBy(col); });
        th.appendChild(button);
      });
      table.classList.add('is-sortable');
    }

    if (box.hasAttribute('data-filterable')) {
      var caption = table.caption ? table.caption.textContent.trim() : '';
      var tools = document.createElement('div');
      tools.className = 'table-tools';
      var input = document.createElement('input');
      input.type = 'search';
      input.className = 'table-filter';
      input.placeholder = 'Filter rows';
      input.setAttribute('aria-label', caption ? 'Filter rows of ' + caption : 'Filter rows');
      input.setAttribute('aria-controls', table.id);
      input.autocomplete = 'off';
      var count = document.createElement('span');
      count.className = 'table-count';
      count.setAttribute('aria-live', 'polite');
      var total = rows.length;
      count.textContent = total + ' of ' + total + ' rows';
      tools.appendChild(input);
      tools.appendChild(count);
      box.insertBefore(tools, box.firstChild);

      var last = '';
      function applyFilter() {
        var q = input.value.trim().toLowerCase();
        if (q === last) return;
        last = q;
        if (!texts) texts = rows.map(function (r) { return (r.textContent || '').toLowerCase(); });
        var shown = 0;
        for (var i = 0; i < rows.length; i++) {
          var hit = q === '' || texts[i].indexOf(q) !== -1;
          if (rows[i].hidden === hit) rows[i].hidden = !hit;
          if (hit) shown++;
        }
        count.textContent = shown + ' of ' + total + ' rows';
        box.classList.toggle('is-filtered', q !== '');
      }
      input.addEventListener('input', applyFilter);
      // Enter in the box must not submit a form the table happens to sit in.
      input.addEventListener('keydown', function (e) { if (e.key === 'Enter') e.preventDefault(); });
    }
  }

  function enhanceAll(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches('.data-table')) enhance(root);
    var boxes = root.querySelectorAll('.data-table');
    for (var i = 0; i < boxes.length; i++) enhance(boxes[i]);
  }

  document.addEventListener('htmx:load', function (e) { enhanceAll(e.target); });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { enhanceAll(document); });
  else enhanceAll(document);
})();
