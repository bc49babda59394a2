// The link graph view's groundwork (issue 9), shared by graph.js: loading sigma and graphology on
// demand, reading the binary graph file (graph.rbg, written by src/seo/graph/browser-file.ts), and
// small helpers with no view state. Loaded on every page; it does nothing until graph.js asks.
(function () {
  'use strict';

  var PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
    '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
  var OTHER = '#c8c8c8';
  var libs;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error('could not load ' + src)); };
      document.head.appendChild(s);
    });
  }
  // graphology first: sigma's build expects it to be there when it draws.
  function loadLibs() {
    if (!libs) {
      var meta = document.querySelector('meta[name="railbook-graph-libs"]');
      var urls = meta ? meta.getAttribute('content').split(' ') : [];
      libs = window.Sigma && window.graphology ? Promise.resolve()
        : loadScript(urls[0]).then(function () { return loadScript(urls[1]); });
    }
    return libs;
  }

  // The graph file: "RBG1", uint32 header length, header JSON, then 4-byte arrays in place.
  function readGraphFile(buf) {
    var magic = String.fromCharCode.apply(null, new Uint8Array(buf, 0, 4));
    if (magic !== 'RBG1') throw new Error('not a graph file');
    var len = new DataView(buf).getUint32(4, true);
    var header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, len)));
    var arrays = {};
    var off = 8 + len;
    header.arrays.forEach(function (a) {
      var C = a.type === 'f32' ? Float32Array : a.type === 'u32' ? Uint32Array : Int32Array;
      arrays[a.name] = new C(buf, off, a.length);
      off += a.length * 4;
    });
    return { h: header, a: arrays };
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function safeHref(u) { return /^https?:\/\//i.test(u) ? u : null; }

  // Colour keys per mode: a small integer per node, and a legend of (key → name).
  function statusKey(s) { return s === 0 ? 0 : s < 300 ? 1 : s < 400 ? 2 : s < 500 ? 3 : 4; }
  var STATUS_NAMES = ['no response', '2xx', '3xx', '4xx', '5xx'];
  var STATUS_COLOURS = ['#7f7f7f', '#59a14f', '#f28e2b', '#e15759', '#b07aa1'];

  function topGroups(values, n) {
    var counts = new Map();
    for (var i = 0; i < n; i++) counts.set(values[i], (counts.get(values[i]) || 0) + 1);
    return Array.from(counts.entries()).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
  }

  // ids: the neighbours of node i are ids[start[i] .. start[i + 1]), and eids the edges to them.
  function adjacency(n, from, to) {
    var start = new Int32Array(n + 1);
    for (var e = 0; e < from.length; e++) start[from[e] + 1]++;
    for (var i = 0; i < n; i++) start[i + 1] += start[i];
    var fill = start.slice(0, n);
    var ids = new Int32Array(from.length);
    var eids = new Int32Array(from.length);
    for (e = 0; e < from.length; e++) {
      var k = fill[from[e]]++;
      ids[k] = to[e];
      eids[k] = e;
    }
    return { start: start, ids: ids, eids: eids };
  }
  function shortUrl(u) {
    try {
      var p = new URL(u);
      return p.pathname + p.search;
    } catch (e) { return u; }
  }
  window.RailbookGraph = {
    PALETTE: PALETTE, OTHER: OTHER, STATUS_NAMES: STATUS_NAMES, STATUS_COLOURS: STATUS_COLOURS,
    loadLibs: loadLibs, readGraphFile: readGraphFile, el: el, safeHref: safeHref, statusKey: statusKey,
    topGroups: topGroups, adjacency: adjacency, shortUrl: shortUrl,
  };
})();
