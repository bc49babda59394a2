// The link graph view (issue 9): finds `.rb-graph[data-graph-src]` in a step card, loads sigma and
// graphology (only then: their URLs are in <meta name="railbook-graph-libs">), fetches the graph
// file (graph.rbg, written by src/seo/graph/browser-file.ts) and draws it with WebGL. URLs and
// titles come from crawled sites: they only ever go into textContent, values and checked hrefs.
(function () {
  'use strict';
  // The pieces that do not depend on a view: graph-data.js, loaded just before this file.
  var G = window.RailbookGraph;
  var PALETTE = G.PALETTE, OTHER = G.OTHER, STATUS_NAMES = G.STATUS_NAMES, STATUS_COLOURS = G.STATUS_COLOURS;
  var loadLibs = G.loadLibs, readGraphFile = G.readGraphFile, el = G.el, safeHref = G.safeHref, statusKey = G.statusKey;
  var topGroups = G.topGroups, adjacency = G.adjacency, shortUrl = G.shortUrl;

  var MAX_LIST = 50;
  // Past this many links, sigma gets only the selected page's links unless the person asks for
  // all: handing it 1M edges costs tens of seconds before the first frame (and each frame is slow
  // without a GPU), and at that size the whole is a grey cloud anyway.
  var ALL_EDGES_MAX = 150000;
  var SELECTED_EDGES_MAX = 5000;


  function GraphView(root) {
    this.root = root;
    this.selected = -1;
    this.neighbours = null;
  }

  GraphView.prototype.start = function () {
    var self = this;
    var status = self.root.querySelector('.rb-graph-status');
    self.t0 = performance.now();
    return loadLibs()
      .then(function () { return fetch(self.root.getAttribute('data-graph-src'), { credentials: 'same-origin' }); })
      .then(function (r) {
        if (!r.ok) throw new Error('the graph file could not be read (' + r.status + ')');
        return r.arrayBuffer();
      })
      .then(function (buf) { self.build(readGraphFile(buf)); })
      .catch(function (e) {
        if (status) status.textContent = 'The link graph could not be shown: ' + e.message;
        self.root.setAttribute('data-graph-state', 'error');
      });
  };

  GraphView.prototype.build = function (file) {
    var self = this;
    var h = file.h;
    var a = file.a;
    var n = h.nodes;
    self.h = h;
    self.a = a;
    self.n = n;
    // In/out lists for the details panel: compressed adjacency built from the edge arrays.
    self.out = adjacency(n, a.src, a.dst);
    self.inn = adjacency(n, a.dst, a.src);
    self.sectionGroups = topGroups(a.section, n);
    self.communityGroups = topGroups(a.community, n);
    self.hiddenSection = new Uint8Array(h.sections.length);
    self.colour = new Array(n);
    self.ui();

    var tBuild = performance.now();
    var graph = new window.graphology.DirectedGraph({ allowSelfLoops: false });
    var bigLabel = n > 2000 ? 6 : 0;
    for (var i = 0; i < n; i++) {
      graph.addNode(i, { x: a.x[i], y: -a.y[i], size: 1.5 + a.size[i], label: a.size[i] >= bigLabel ? shortUrl(h.urls[i]) : null });
    }
    var src = a.src, dst = a.dst;
    self.graph = graph;
    self.edgeMode = src.length <= ALL_EDGES_MAX ? 'all' : 'selected';
    self.edgeSelect.value = self.edgeMode;
    self.fillEdges();
    self.colourBy('status');

    var tSigma = performance.now();
    var big = src.length > ALL_EDGES_MAX;
    self.sigma = new window.Sigma(graph, self.stage, {
      settings: {
        // Without a GPU even 100k edges take seconds a frame: moving shows the nodes only.
        hideEdgesOnMove: src.length > 20000,
        hideLabelsOnMove: true,
        labelRenderedSizeThreshold: n > 2000 ? 10 : 4,
        minEdgeThickness: 0.5,
        antialiasEdges: !big,
      },
      styles: { nodes: window.Sigma.DEFAULT_STYLES.nodes, edges: Object.assign({}, window.Sigma.DEFAULT_STYLES.edges, { color: '#d0d0d0', size: 0.5 }) },
      nodeReducer: function (key, data) { return self.reduceNode(key, data); },
      edgeReducer: function (key) { return self.reduceEdge(key); },
    });
    self.sigma.on('clickNode', function (p) { self.select(Number(p.node), false); });
    self.sigma.on('clickStage', function () { self.select(-1, false); });
    // Sigma draws its first frame inside its constructor: the graph is on screen now.
    self.root.setAttribute('data-graph-state', 'ready');
    var tEnd = performance.now();
    self.root.setAttribute('data-graph-ms', String(Math.round(tEnd - self.t0)));
    // Where the time went (load + fetch + parse, graph, sigma's first frame): the bench reads it.
    self.root.setAttribute('data-graph-timings', [tBuild - self.t0, tSigma - tBuild, tEnd - tSigma].map(Math.round).join(' '));
    self.root.dispatchEvent(new CustomEvent('rb-graph:ready', { bubbles: true }));
    var status = self.root.querySelector('.rb-graph-status');
    if (status) status.textContent = n.toLocaleString('en') + ' pages, ' + src.length.toLocaleString('en') + ' links' +
      (h.communityMethod === 'sections' ? ' (communities are the sections)' : '') + '.';
    // For tests and curious people: the sigma instance, and where a URL's node is on screen.
    window.__railbookGraph = {
      sigma: self.sigma,
      nodeOf: function (url) { return h.urls.indexOf(url); },
      screenPosition: function (url) {
        var i = h.urls.indexOf(url);
        if (i < 0) return null;
        var p = self.sigma.graphToViewport(graph.getNodeAttributes(String(i)));
        var r = self.stage.getBoundingClientRect();
        return { x: r.left + p.x, y: r.top + p.y };
      },
    };
  };



  // Edge e's key is "e": its ends are then src[e] and dst[e], with no lookup in the graph.
  GraphView.prototype.fillEdges = function () {
    var g = this.graph, src = this.a.src, dst = this.a.dst, e;
    g.clearEdges();
    if (this.edgeMode === 'all') {
      for (e = 0; e < src.length; e++) g.addEdgeWithKey(e, src[e], dst[e]);
    } else if (this.edgeMode === 'selected' && this.selected >= 0) {
      var i = this.selected, added = 0;
      [this.out, this.inn].forEach(function (adj) {
        for (var k = adj.start[i]; k < adj.start[i + 1] && added < SELECTED_EDGES_MAX; k++, added++) {
          e = adj.eids[k];
          if (!g.hasEdge(e)) g.addEdgeWithKey(e, src[e], dst[e]);
        }
      });
    }
    this.root.setAttribute('data-graph-edges-shown', String(g.size));
  };


  GraphView.prototype.reduceNode = function (key, data) {
    var i = Number(key);
    var r = { color: this.colour[i] };
    if (this.hiddenSection[this.a.section[i]]) r.visibility = 'hidden';
    if (this.selected >= 0) {
      if (i === this.selected) {
        r.highlighted = true;
        r.zIndex = 2;
        r.size = Math.max(data.size, 8);
        r.label = shortUrl(this.h.urls[i]);
        r.labelVisibility = 'visible';
      } else if (this.neighbours && this.neighbours.has(i)) {
        r.zIndex = 1;
      } else {
        r.color = '#e4e4e4';
        r.zIndex = 0;
      }
    }
    return r;
  };

  var NOTHING = {};
  var EDGE_HIDDEN = { visibility: 'hidden' };
  var EDGE_SELECTED = { color: '#444', size: 1 };
  GraphView.prototype.reduceEdge = function (key) {
    var e = Number(key), s = this.a.src[e], t = this.a.dst[e];
    if (this.filtering && (this.hiddenSection[this.a.section[s]] || this.hiddenSection[this.a.section[t]])) return EDGE_HIDDEN;
    if (this.selected >= 0 && (s === this.selected || t === this.selected)) return EDGE_SELECTED;
    return NOTHING;
  };

  // ---- Controls -------------------------------------------------------------------------------

  GraphView.prototype.ui = function () {
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

  GraphView.prototype.sectionFilter = function () {
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

  GraphView.prototype.colourBy = function (mode) {
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

  GraphView.prototype.drawLegend = function (items) {
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

  GraphView.prototype.refresh = function () {
    this.filtering = this.hiddenSection.indexOf(1) >= 0;
    if (this.sigma) this.sigma.refresh();
  };

  GraphView.prototype.suggest = function (text, datalist) {
    datalist.textContent = '';
    var q = text.trim().toLowerCase();
    if (q.length < 2) return;
    var urls = this.h.urls, pr = this.a.pagerank, hits = [];
    for (var i = 0; i < urls.length && hits.length < 2000; i++) if (urls[i].toLowerCase().indexOf(q) >= 0) hits.push(i);
    hits.sort(function (x, y) { return pr[y] - pr[x]; });
    hits.slice(0, 20).forEach(function (i) { datalist.appendChild(el('option', { value: urls[i] })); });
  };

  // Enter in the search box: the exact URL, else the best-ranked URL containing the text.
  GraphView.prototype.find = function (text) {
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

  GraphView.prototype.select = function (i, move) {
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

  GraphView.prototype.showDetails = function (i) {
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
  GraphView.prototype.linkList = function (title, adj, i) {
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

  GraphView.prototype.fullScreen = function (on) {
    this.root.classList.toggle('rb-graph-full', on);
    this.fullButton.setAttribute('aria-pressed', on ? 'true' : 'false');
    this.fullButton.textContent = on ? 'Leave full screen' : 'Full screen';
    if (this.sigma) this.sigma.resize();
  };

  GraphView.prototype.key = function (e) {
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

  // Views whose card htmx swapped away are killed (their WebGL contexts are few and precious).
  var views = [];
  function init(root) {
    views = views.filter(function (v) {
      if (document.contains(v.root)) return true;
      if (v.sigma) v.sigma.kill();
      return false;
    });
    var found = (root || document).querySelectorAll ? (root || document).querySelectorAll('.rb-graph[data-graph-src]') : [];
    if (root && root.matches && root.matches('.rb-graph[data-graph-src]')) found = [root];
    Array.prototype.forEach.call(found, function (node) {
      if (node.hasAttribute('data-graph-state')) return;
      node.setAttribute('data-graph-state', 'loading');
      var v = new GraphView(node);
      views.push(v);
      v.start();
    });
  }
  document.addEventListener('htmx:load', function (e) { init(e.target); });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { init(document); });
  else init(document);
})();
