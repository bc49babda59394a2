/** A browser-like HTTP client for integration tests: remembers the CSRF token of the last page it read. */
export class WebClient {
  csrf = '';
  constructor(readonly base: string) {}

  async get(path: string, headers: Record<string, string> = {}) {
    const r = await fetch(this.base + path, { redirect: 'manual', headers });
    const text = await r.text();
    const m = /<meta name="csrf-token" content="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return { status: r.status, text, headers: r.headers };
  }

  /** A same-origin form POST as the app's pages make it; `hx` sends it the way htmx does. */
  async post(path: string, fields: Record<string, string> = {}, opts: { hx?: boolean } = {}) {
    const headers: Record<string, string> = { Origin: this.base, 'Content-Type': 'application/x-www-form-urlencoded' };
    if (opts.hx) Object.assign(headers, { 'HX-Request': 'true', 'X-CSRF-Token': this.csrf });
    const body = new URLSearchParams({ ...fields, _csrf: this.csrf });
    const r = await fetch(this.base + path, { method: 'POST', body, headers, redirect: 'manual' });
    return { status: r.status, text: await r.text(), headers: r.headers };
  }

  async json(path: string) {
    const r = await fetch(this.base + path);
    return { status: r.status, body: (await r.json()) as any };
  }
}
