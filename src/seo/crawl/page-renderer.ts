/**
 * The crawl's optional JavaScript rendering, as the crawler sees it: given a fetched HTML page, the
 * DOM after its scripts ran. The crawler extracts from the rendered HTML and keeps it beside the
 * raw response; the Chromium implementation is render-js.ts (any other could stand in).
 */
export interface RenderedPage {
  /** `document.documentElement.outerHTML` once the page settled. */
  html: string;
  /** Milliseconds the rendering took. */
  ms: number;
}

export interface PageRenderer {
  /**
   * Renders `url`, whose raw response (`body`, already fetched by the crawler) is handed to the
   * browser instead of fetching it again. Resolves with an error message instead of throwing: a
   * page that fails to render keeps its raw extraction.
   */
  render(url: string, body: Buffer, contentType: string | undefined, signal?: AbortSignal): Promise<RenderedPage | { error: string }>;
  close(): Promise<void>;
}
