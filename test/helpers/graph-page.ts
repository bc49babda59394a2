import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { assets } from '../../src/web/assets.ts';

/*
 * A bare page that shows one graph file with the app's own assets (graph.js, graph.css, sigma, graphology), for the bench
 * and the large-scale browser test: a 100k-node graph without crawling 100k pages. Same scripts,
 * same CSP as the app (script-src 'self'), a real HTTP server on 127.0.0.1. `?bare=1` draws the
 * same file with sigma alone (no Railbook view: no reducers, no controls): the bench's baseline.
 */

export interface GraphPage {
  url: string;
  close(): Promise<void>;
}

const BARE = `
(function () {
  var t0 = performance.now();
  fetch('/graph.rbg').then(function (r) { return r.arrayBuffer(); }).then(function (buf) {
    var len = new DataView(buf).getUint32(4, true);
    var h = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, len)));
    var a = {}, off = 8 + len;
    h.arrays.forEach(function (d) { var C = d.type === 'f32' ? Float32Array : d.type === 'u32' ? Uint32Array : Int32Array; a[d.name] = new C(buf, off, d.length); off += d.length * 4; });
    var g = new graphology.DirectedGraph({ allowSelfLoops: false });
    for (var i = 0; i < h.nodes; i++) g.addNode(i, { x: a.x[i], y: -a.y[i], size: a.size[i], color: '#4e79a7' });
    for (var e = 0; e < a.src.length; e++) g.addEdgeWithKey(e, a.src[e], a.dst[e]);
    var root = document.querySelector('.rb-graph');
    var stage = document.createElement('div');
    stage.className = 'rb-graph-stage';
    root.appendChild(stage);
    var s = new Sigma(g, stage, { settings: { hideEdgesOnMove: false, hideLabelsOnMove: true, labelRenderedSizeThreshold: 10 } });
    root.setAttribute('data-graph-state', 'ready');
    root.setAttribute('data-graph-ms', String(Math.round(performance.now() - t0)));
    window.__railbookGraph = { sigma: s };
  });
})();`;

export async function serveGraphPage(graphFile: Buffer): Promise<GraphPage> {
  const files: Record<string, [string, () => Buffer | string]> = {
    '/graphology.js': ['text/javascript', () => Buffer.from(assets().get('graphology.umd.min.js')!.body)],
    '/sigma.js': ['text/javascript', () => Buffer.from(assets().get('sigma.min.js')!.body)],
    '/graph-data.js': ['text/javascript', () => Buffer.from(assets().get('graph-data.js')!.body)],
    '/graph-controls.js': ['text/javascript', () => Buffer.from(assets().get('graph-controls.js')!.body)],
    '/graph.js': ['text/javascript', () => Buffer.from(assets().get('graph.js')!.body)],
    '/bare.js': ['text/javascript', () => BARE],
    '/graph.css': ['text/css', () => Buffer.from(assets().get('graph.css')!.body)],
    '/graph.rbg': ['application/octet-stream', () => graphFile],
  };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/') {
      const bare = u.searchParams.has('bare');
      const scripts = bare ? '<script src="/graphology.js"></script><script src="/sigma.js"></script><script src="/bare.js"></script>' : '<script src="/graph-data.js" defer></script><script src="/graph-controls.js" defer></script><script src="/graph.js" defer></script>';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'" });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Link graph</title>
<link rel="stylesheet" href="/graph.css"><meta name="railbook-graph-libs" content="/graphology.js /sigma.js">${scripts}</head>
<body><div class="rb-graph"${bare ? '' : ' data-graph-src="/graph.rbg"'}><p class="rb-graph-status">Loading…</p></div></body></html>`);
      return;
    }
    const f = files[u.pathname];
    if (u.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f[0] });
    res.end(f[1]());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
