// The link graph view (issue 9): finds `.rb-graph[data-graph-src]` in a step card, loads sigma and
// graphology (only then: their URLs are in <meta name="railbook-graph-libs">), fetches the graph
// file (graph.rbg, written by src/seo/graph/browser-file.ts) and draws it with WebGL. URLs and
// titles come from crawled sites: they only ever go into textContent, values and checked hrefs.
(function () {
  'use strict';
  // The pieces that do not depend on a view: graph-data.js, loaded before this file.
  var G = window.RailbookGraph;
  var loadLibs = G.loadLibs, readGraphFile = G.readGraphFile, topGroups = G.topGroups, adjacency = G.adjacency, shortUrl = G.shortUrl;

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

  // The controls and panels: graph-controls.js, loaded just before this file.
  Object.assign(GraphView.prototype, G.viewMethods);

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
