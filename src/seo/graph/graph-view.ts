import { jsx, type Child } from 'hono/jsx';

/**
 * The link graph's place in a step card: graph.js finds `.rb-graph[data-graph-src]`, loads sigma
 * and graphology, fetches the graph file and builds the view (controls included) inside it. The
 * text below is what shows without JavaScript, or until the graph is drawn.
 */
export function graphView(src: string, o: { nodes: number; edges: number }): Child {
  return jsx(
    'div',
    { class: 'rb-graph', 'data-graph-src': src, 'data-graph-nodes': String(o.nodes), 'data-graph-edges': String(o.edges) },
    jsx('p', { class: 'rb-graph-status', role: 'status' }, `Loading the link graph (${o.nodes.toLocaleString('en')} pages, ${o.edges.toLocaleString('en')} links)…`),
  );
}
