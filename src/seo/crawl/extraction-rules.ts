/**
 * Custom extraction rules (Screaming Frog's "custom extraction"): CSS selectors over the parsed
 * DOM, a small XPath subset (translated to CSS, see `xpathToCss`), and regular expressions over
 * the raw HTML. Rules are compiled once and cached, since the crawler applies the same rules to
 * every page.
 */
import { compile, selectAll } from 'css-select';
import type { AnyNode, Document, Element } from 'domhandler';
import { getAttributeValue, textContent } from 'domutils';

export interface ExtractionRule {
  name: string;
  kind: 'css' | 'xpath' | 'regex';
  expr: string;
  /** css/xpath: read this attribute instead of the text. */
  attr?: string;
}

/** Caps that keep one rule from blowing up a page record or the CPU. */
export const RULE_LIMITS = {
  /** Values kept per rule and page. */
  maxValues: 100,
  /** Characters kept per value. */
  maxValueChars: 1000,
  /** Regex rules see at most this many characters of the raw HTML. */
  maxRegexInput: 1_000_000,
} as const;

type Query = ReturnType<typeof compile<AnyNode, Element>>;

interface CompiledRule {
  rule: ExtractionRule;
  /** css and xpath */
  query?: Query;
  /** what to read from a selected element: the text, or an attribute */
  attr?: string | undefined;
  regex?: RegExp;
}

// ---------------------------------------------------------------- xpath subset

/**
 * XPath subset, translated to a CSS selector (honest about what it is: no axes, no functions on
 * text). Supported:
 *   path      := ('/' | '//') step (('/' | '//') step)* ('/@attr' | '/text()')?
 *   step      := name | '*' followed by zero or more [predicate]
 *   predicate := @a | @a='v' | @a="v" | contains(@a,'v') | starts-with(@a,'v') | N (position)
 * `/x` at the start means the root element; `a/b` is a child, `a//b` a descendant.
 * Anything else is rejected by `validateRule` with the reason.
 */
export function xpathToCss(xpath: string): { css: string; attr?: string; text: boolean } {
  let rest = xpath.trim();
  let attr: string | undefined;
  let text = false;
  const tailAttr = /\/@([A-Za-z_][\w:.-]*)$/.exec(rest);
  if (tailAttr) {
    attr = tailAttr[1]!.toLowerCase();
    rest = rest.slice(0, tailAttr.index);
  } else if (rest.endsWith('/text()')) {
    text = true;
    rest = rest.slice(0, -'/text()'.length);
  }
  if (!rest.startsWith('/')) throw new Error('XPath must start with / or // (relative paths are not supported)');
  const parts: string[] = [];
  let pos = 0;
  let first = true;
  const stepRe = /(\/\/?)([A-Za-z_][\w.-]*|\*)((?:\[[^\]]*\])*)/y;
  while (pos < rest.length) {
    stepRe.lastIndex = pos;
    const m = stepRe.exec(rest);
    if (!m) throw new Error(`unsupported XPath near ${JSON.stringify(rest.slice(pos, pos + 20))} (supported: /a, //a, *, [@x], [@x='v'], [contains(@x,'v')], [starts-with(@x,'v')], [N], /@x, /text())`);
    const [, axis, name, preds] = m as unknown as [string, string, string, string];
    let sel = name === '*' ? '*' : name.toLowerCase();
    for (const p of preds.match(/\[[^\]]*\]/g) ?? []) sel += predicateToCss(p.slice(1, -1).trim(), name === '*');
    if (first) {
      if (axis === '/') sel += ':root';
    } else {
      parts.push(axis === '/' ? '>' : ' ');
    }
    parts.push(sel);
    first = false;
    pos = stepRe.lastIndex;
  }
  if (first) throw new Error('XPath has no element step');
  const out: { css: string; attr?: string; text: boolean } = { css: parts.join(' ').replace(/ {2,}/g, ' '), text };
  if (attr !== undefined) out.attr = attr;
  return out;
}

function cssString(v: string): string {
  return '"' + v.replace(/["\\]/g, '\\$&') + '"';
}

function predicateToCss(p: string, anyName: boolean): string {
  let m: RegExpExecArray | null;
  if ((m = /^@([A-Za-z_][\w:.-]*)$/.exec(p))) return `[${m[1]!.toLowerCase()}]`;
  if ((m = /^@([A-Za-z_][\w:.-]*)\s*=\s*(?:'([^']*)'|"([^"]*)")$/.exec(p))) return `[${m[1]!.toLowerCase()}=${cssString(m[2] ?? m[3] ?? '')}]`;
  if ((m = /^(contains|starts-with)\(\s*@([A-Za-z_][\w:.-]*)\s*,\s*(?:'([^']*)'|"([^"]*)")\s*\)$/.exec(p))) {
    return `[${m[2]!.toLowerCase()}${m[1] === 'contains' ? '*=' : '^='}${cssString(m[3] ?? m[4] ?? '')}]`;
  }
  if ((m = /^(\d+)$/.exec(p))) return anyName ? `:nth-child(${m[1]})` : `:nth-of-type(${m[1]})`;
  throw new Error(`unsupported XPath predicate [${p}]`);
}

// ---------------------------------------------------------------- regex

/** `/pattern/flags` or a bare pattern (no flags). The global flag is always added. */
function parseRegex(expr: string): RegExp {
  const m = /^\/([\s\S]*)\/([a-z]*)$/.exec(expr);
  const source = m ? m[1]! : expr;
  const flags = m ? m[2]! : '';
  if (/[gy]/.test(flags)) throw new Error('flags g and y are implied/not allowed');
  if (source === '') throw new Error('empty regular expression');
  // A cheap guard against the classic catastrophic patterns, e.g. (a+)+ or (\w*)*: a quantified
  // group that itself ends in a quantifier. JavaScript regexes cannot be interrupted.
  if (/\((?:[^()\\]|\\.)*[+*}]\)[+*{]/.test(source)) throw new Error('nested quantifiers like (a+)+ can backtrack catastrophically; rewrite the pattern');
  return new RegExp(source, flags + 'g');
}

// ---------------------------------------------------------------- compile / validate

const cache = new Map<string, CompiledRule>();

function compileRule(rule: ExtractionRule): CompiledRule {
  const key = `${rule.kind}\u0000${rule.expr}\u0000${rule.attr ?? ''}\u0000${rule.name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (typeof rule.name !== 'string' || rule.name.trim() === '') throw new Error('a rule needs a name');
  if (typeof rule.expr !== 'string' || rule.expr.trim() === '') throw new Error(`rule ${rule.name}: empty expression`);
  let out: CompiledRule;
  if (rule.kind === 'css') {
    out = { rule, query: compile<AnyNode, Element>(rule.expr), attr: rule.attr?.toLowerCase() };
  } else if (rule.kind === 'xpath') {
    const x = xpathToCss(rule.expr);
    out = { rule, query: compile<AnyNode, Element>(x.css), attr: rule.attr?.toLowerCase() ?? x.attr };
  } else if (rule.kind === 'regex') {
    out = { rule, regex: parseRegex(rule.expr) };
  } else {
    throw new Error(`unknown rule kind ${JSON.stringify((rule as { kind: unknown }).kind)} (css, xpath or regex)`);
  }
  if (cache.size > 500) cache.clear();
  cache.set(key, out);
  return out;
}

/** Why a rule cannot be used, or undefined when it is fine. */
export function validateRule(rule: ExtractionRule): string | undefined {
  try {
    compileRule(rule);
    return undefined;
  } catch (e) {
    const what = rule.kind === 'css' ? 'CSS selector' : rule.kind === 'xpath' ? 'XPath' : rule.kind === 'regex' ? 'regular expression' : 'rule';
    return `invalid ${what} ${JSON.stringify(rule.expr)}: ${(e as Error).message}`;
  }
}

function cap(v: string): string {
  return v.length > RULE_LIMITS.maxValueChars ? v.slice(0, RULE_LIMITS.maxValueChars) : v;
}

/** Values of every rule on one page. Invalid rules throw: validate them before the crawl. */
export function applyRules(rules: readonly ExtractionRule[], doc: Document, html: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const rule of rules) {
    const c = compileRule(rule);
    const values: string[] = [];
    if (c.regex) {
      const re = c.regex;
      const input = html.length > RULE_LIMITS.maxRegexInput ? html.slice(0, RULE_LIMITS.maxRegexInput) : html;
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while (values.length < RULE_LIMITS.maxValues && (m = re.exec(input)) !== null) {
        values.push(cap(m.length > 1 ? (m[1] ?? '') : m[0]));
        if (m[0] === '') re.lastIndex++; // an empty match would loop forever
      }
    } else if (c.query) {
      for (const el of selectAll<AnyNode, Element>(c.query, doc)) {
        if (values.length >= RULE_LIMITS.maxValues) break;
        if (c.attr !== undefined) {
          const v = getAttributeValue(el, c.attr);
          if (v !== undefined) values.push(cap(v.trim()));
        } else {
          values.push(cap(textContent(el).replace(/\s+/g, ' ').trim()));
        }
      }
    }
    out[rule.name] = values;
  }
  return out;
}
