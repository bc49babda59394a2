// The link graph view's controls (issue 9): the bar (colour, links, search, sections, full
// screen), the legend, the details panel with in/out links, and the keyboard. graph.js mixes these
// methods into its view; graph-data.js, loaded first, has the helpers.
(function () {
  'use strict';
  var G = window.RailbookGraph;
  var PALETTE = G.PALETTE, OTHER = G.OTHER, STATUS_NAMES = G.STATUS_NAMES, STATUS_COLOURS = G.STATUS_COLOURS;
  var el = G.el, safeHref = G.safeHref, statusKey = G.statusKey, topGroups = G.topGroups, shortUrl = G.shortUrl;
  var MAX_LIST = 50;
  var P = {};

  // ---- Controls -------------------------------------------------------------------------------

  P.ui = function () {
    var self = this;
    var root = self.root;
    var bar = el('div', { class: 'rb-graph-bar' });
    var colourLabel = el('label', {}, 'Colour by ');
    var colour = el('select', { 'data-graph-colour': '' });
    [['status', 'Status'], ['depth', 'Depth'], ['section', 'Section'], ['community', 'Community']].forEach(function (o) {
      colour.appendChild(el('option', { value: o[0] }, o[1]));
    });
    colour.addEventListener('change', function () { self.colourBy(colour.value); self.refresh(); });
    colourLabel.appendChild(colour);

    var listId = 'rb-graph-urls-' + Math.random().toString(36).slice(2);
    var searchLabel = el('label', {}, 'Find a URL ');
    var search = el('input', { type: 'search', list: listId, placeholder: 'part of a URL, then Enter', autocomplete: 'off', 'data-graph-search': '' });
    var datalist = el('datalist', { id: listId });
    search.addEventListener('input', function () { self.suggest(search.value, datalist); });
    search.addEventListener('keydown', function (e) {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      self.find(search.value);
    });
    search.addEventListener('change', function () {
      if (self.h.urls.indexOf(search.value) >= 0) self.find(search.value);
    });
    searchLabel.appendChild(search);

    var full = el('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false', 'data-graph-full': '' }, 'Full screen');
    full.addEventListener('click', function () { self.fullScreen(!root.classList.contains('rb-graph-full')); });
    self.fullButton = full;

    var edgeLabel = el('label', {}, 'Links ');
    var edgeSelect = el('select', { 'data-graph-edges': '' });
    [['all', 'All'], ['selected', 'The selected page’s'], ['none', 'None']].forEach(function (o) {
      edgeSelect.appendChild(el('option', { value: o[0] }, o[1]));
    });
    edgeSelect.addEventListener('change', function () {
      self.edgeMode = edgeSelect.value;
      self.fillEdges();
      self.refresh();
    });
    edgeLabel.appendChild(edgeSelect);
    self.edgeSelect = edgeSelect;

    bar.appendChild(colourLabel);
    bar.appendChild(edgeLabel);
    bar.appendChild(searchLabel);
    bar.appendChild(datalist);
    bar.appendChild(self.sectionFilter());
    bar.appendChild(full);

    var body = el('div', { class: 'rb-graph-body' });
    self.stage = el('div', { class: 'rb-graph-stage', tabindex: '0', role: 'application',
      'aria-label': 'Link graph: arrow keys move, + and - zoom, Escape clears the selection' });
    self.stage.addEventListener('keydown', function (e) { self.key(e); });
    self.legend = el('ul', { class: 'rb-graph-legend', 'aria-label': 'Colours' });
    self.details = el('aside', { class: 'rb-graph-details', 'aria-live': 'polite' });
    self.details.appendChild(el('p', { class: 'rb-graph-hint' }, 'Click a page, or find one by its URL, to see its links.'));
    body.appendChild(self.stage);
    body.appendChild(self.details);
    root.appendChild(bar);
    root.appendChild(body);
    root.appendChild(self.legend);
    root.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && root.classList.contains('rb-graph-full')) self.fullScreen(false);
    });
  };

  P.sectionFilter = function () {
    var self = this;
    var box = el('details', { class: 'rb-graph-sections' });
    box.appendChild(el('summary', {}, 'Sections'));
    var list = el('div', { class: 'rb-graph-section-list' });
    var shown = self.sectionGroups.slice(0, MAX_LIST);
    var rest = self.sectionGroups.slice(MAX_LIST).map(function (g) { return g[0]; });
    function add(name, count, ids) {
      var label = el('label', {});
      var cb = el('input', { type: 'checkbox', 'data-graph-section': name });
      cb.checked = true;
      cb.addEventListener('change', function () {
        ids.forEach(function (k) { self.hiddenSection[k] = cb.checked ? 0 : 1; });
        self.refresh();
      });
      label.appendChild(cb);
      label.appendChild(document.createTextNode(' ' + name + ' (' + count.toLocaleString('en') + ')'));
      list.appendChild(label);
    }
    shown.forEach(function (g) { add(self.h.sections[g[0]], g[1], [g[0]]); });
    if (rest.length) {
      var restCount = self.sectionGroups.slice(MAX_LIST).reduce(function (s, g) { return s + g[1]; }, 0);
      add(rest.length + ' smaller sections', restCount, rest);
    }
    var all = el('button', { type: 'button', class: 'secondary' }, 'All');
    var none = el('button', { type: 'button', class: 'secondary' }, 'None');
    function setAll(on) {
      self.hiddenSection.fill(on ? 0 : 1);
      list.querySelectorAll('input').forEach(function (c) { c.checked = on; });
      self.refresh();
    }
    all.addEventListener('click', function () { setAll(true); });
    none.addEventListener('click', function () { setAll(false); });
    box.appendChild(all);
    box.appendChild(none);
    box.appendChild(list);
    return box;
  };

  P.colourBy = function (mode) {
    var a = this.a, n = this.n, c = this.colour, legend = [];
    var i;
    if (mode === 'status') {
      for (i = 0; i < n; i++) c[i] = STATUS_COLOURS[statusKey(a.status[i])];
      STATUS_NAMES.forEach(function (name, k) { legend.push([STATUS_COLOURS[k], name]); });
    } else if (mode === 'depth') {
      var ramp = ['#08306b', '#2171b5', '#4292c6', '#6baed6', '#9ecae1', '#c6dbef', '#fdae6b', '#e6550d'];
      for (i = 0; i < n; i++) c[i] = ramp[Math.min(ramp.length - 1, Math.max(0, a.depth[i]))];
      ramp.forEach(function (col, k) { legend.push([col, 'depth ' + k + (k === ramp.length - 1 ? '+' : '')]); });
    } else {
      var groups = mode === 'section' ? this.sectionGroups : this.communityGroups;
      var values = mode === 'section' ? a.section : a.community;
      var colourOf = new Map();
      var names = this.h.sections;
      groups.slice(0, PALETTE.length).forEach(function (g, k) {
        colourOf.set(g[0], PALETTE[k]);
        legend.push([PALETTE[k], (mode === 'section' ? names[g[0]] : 'community ' + g[0]) + ' (' + g[1] + ')']);
      });
      if (groups.length > PALETTE.length) legend.push([OTHER, 'others']);
      for (i = 0; i < n; i++) c[i] = colourOf.get(values[i]) || OTHER;
    }
    this.root.setAttribute('data-graph-colour-mode', mode);
    this.drawLegend(legend);
  };

  P.drawLegend = function (items) {
    var ul = this.legend;
    ul.textContent = '';
    items.forEach(function (it) {
      var li = el('li', {});
      var sw = el('span', { class: 'rb-graph-swatch', 'aria-hidden': 'true' });
      sw.style.backgroundColor = it[0];
      li.appendChild(sw);
      li.appendChild(document.createTextNode(it[1]));
      ul.appendChild(li);
    });
  };

  P.refresh = function () {
    this.filtering = this.hiddenSection.indexOf(1) >= 0;
    if (this.sigma) this.sigma.refresh();
  };

  P.suggest = function (text, datalist) {
    datalist.textContent = '';
    var q = text.trim().toLowerCase();
    if (q.length < 2) return;
    var urls = this.h.urls, pr = this.a.pagerank, hits = [];
    for (var i = 0; i < urls.length && hits.length < 2000; i++) if (urls[i].toLowerCase().indexOf(q) >= 0) hits.push(i);
    hits.sort(function (x, y) { return pr[y] - pr[x]; });
    hits.slice(0, 20).forEach(function (i) { datalist.appendChild(el('option', { value: urls[i] })); });
  };

  // Enter in the search box: the exact URL, else the best-ranked URL containing the text.
  P.find = function (text) {
    var q = text.trim();
    if (!q) return;
    var urls = this.h.urls, i = urls.indexOf(q);
    if (i < 0) {
      var lower = q.toLowerCase(), pr = this.a.pagerank, best = -1;
      for (var k = 0; k < urls.length; k++) if (urls[k].toLowerCase().indexOf(lower) >= 0 && (best < 0 || pr[k] > pr[best])) best = k;
      i = best;
    }
    if (i < 0) {
      this.details.textContent = '';
      this.details.appendChild(el('p', { class: 'rb-graph-hint' }, 'No page has "' + q + '" in its URL.'));
      return;
    }
    this.select(i, true);
  };

  P.select = function (i, move) {
    this.selected = i;
    this.neighbours = null;
    if (i >= 0) {
      var set = new Set();
      var o = this.out, r = this.inn, k;
      for (k = o.start[i]; k < o.start[i + 1]; k++) set.add(o.ids[k]);
      for (k = r.start[i]; k < r.start[i + 1]; k++) set.add(r.ids[k]);
      this.neighbours = set;
      if (move) {
        var d = this.sigma.getNodeDisplayData(String(i));
        if (d) this.sigma.getCamera().animate({ x: d.x, y: d.y, ratio: 0.08 }, { duration: 400 });
      }
    }
    if (this.edgeMode === 'selected') this.fillEdges();
    this.root.setAttribute('data-graph-selected', i >= 0 ? this.h.urls[i] : '');
    this.showDetails(i);
    this.refresh();
  };

  P.showDetails = function (i) {
    var self = this, d = self.details, h = self.h, a = self.a;
    d.textContent = '';
    if (i < 0) {
      d.appendChild(el('p', { class: 'rb-graph-hint' }, 'Click a page, or find one by its URL, to see its links.'));
      return;
    }
    var head = el('h4', {});
    var href = safeHref(h.urls[i]);
    var link = href ? el('a', { href: href, target: '_blank', rel: 'noopener noreferrer nofollow' }, h.urls[i]) : el('span', {}, h.urls[i]);
    head.appendChild(link);
    d.appendChild(head);
    if (h.titles[i]) d.appendChild(el('p', { class: 'rb-graph-title' }, h.titles[i]));
    var dl = el('dl', {});
    [['Status', String(a.status[i] || 'no response')], ['Depth', String(a.depth[i])],
      ['PageRank', (a.pagerank[i] * self.n).toFixed(2) + ' × an average page'],
      ['Section', h.sections[a.section[i]]], ['Community', String(a.community[i])],
      ['Links in', String(a.inDegree[i])], ['Links out', String(a.outDegree[i])]].forEach(function (kv) {
      dl.appendChild(el('dt', {}, kv[0]));
      dl.appendChild(el('dd', {}, kv[1]));
    });
    d.appendChild(dl);
    d.appendChild(self.linkList('Linked from', self.inn, i));
    d.appendChild(self.linkList('Links to', self.out, i));
  };

  // A capped list of pages, best-ranked first; each one selects its page.
  P.linkList = function (title, adj, i) {
    var self = this, pr = self.a.pagerank;
    var ids = Array.prototype.slice.call(adj.ids.subarray(adj.start[i], adj.start[i + 1]));
    ids.sort(function (x, y) { return pr[y] - pr[x]; });
    var box = el('div', { class: 'rb-graph-links' });
    box.appendChild(el('h5', {}, title + ' (' + ids.length + (ids.length > MAX_LIST ? ', best ' + MAX_LIST + ' shown' : '') + ')'));
    var ul = el('ul', {});
    ids.slice(0, MAX_LIST).forEach(function (j) {
      var li = el('li', {});
      var b = el('button', { type: 'button', class: 'rb-graph-node-link' }, shortUrl(self.h.urls[j]));
      b.title = self.h.urls[j];
      b.addEventListener('click', function () { self.select(j, true); });
      li.appendChild(b);
      ul.appendChild(li);
    });
    box.appendChild(ul);
    return box;
  };

  P.fullScreen = function (on) {
    this.root.classList.toggle('rb-graph-full', on);
    this.fullButton.setAttribute('aria-pressed', on ? 'true' : 'false');
    this.fullButton.textContent = on ? 'Leave full screen' : 'Full screen';
    if (this.sigma) this.sigma.resize();
  };

  P.key = function (e) {
    var cam = this.sigma && this.sigma.getCamera();
    if (!cam) return;
    var s = cam.getState(), step = 0.1 * s.ratio, next = null;
    if (e.key === 'ArrowLeft') next = { x: s.x - step };
    else if (e.key === 'ArrowRight') next = { x: s.x + step };
    else if (e.key === 'ArrowUp') next = { y: s.y + step };
    else if (e.key === 'ArrowDown') next = { y: s.y - step };
    else if (e.key === '+' || e.key === '=') next = { ratio: s.ratio / 1.5 };
    else if (e.key === '-') next = { ratio: s.ratio * 1.5 };
    else if (e.key === '0') next = { x: 0.5, y: 0.5, ratio: 1 };
    else if (e.key === 'Escape' && this.selected >= 0) { this.select(-1, false); e.stopPropagation(); }
    if (!next) return;
    e.preventDefault();
    cam.animate(next, { duration: 150 });
  };

  G.viewMethods = P;
})();
