/**
 * Custom extraction rules as a person types them, one per line:
 *
 *     price  = css .price
 *     image  = css img.hero @src
 *     author = xpath //meta[@name="author"]/@content
 *     sku    = regex "sku":"([^"]+)"
 *
 * A line is `name = kind expression`; a CSS rule may end with `@attribute` to read that attribute
 * instead of the text. Blank lines and `#` comments are skipped. Each rule is checked here
 * (validateRule), so a mistake is reported with its line number before anything runs.
 */
import { validateRule, type ExtractionRule } from './extraction-rules.ts';

const LINE = /^([A-Za-z_][\w-]{0,63})\s*=\s*(css|xpath|regex)\s+(.+)$/i;

export function parseRuleLines(text: string): ExtractionRule[] {
  const rules: ExtractionRule[] = [];
  const names = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `Rule on line ${i + 1}`;
    const m = LINE.exec(line);
    if (!m) throw new Error(`${where}: write it as "name = css|xpath|regex expression" (got "${line.slice(0, 80)}")`);
    const name = m[1]!;
    const kind = m[2]!.toLowerCase() as ExtractionRule['kind'];
    let expr = m[3]!.trim();
    let attr: string | undefined;
    const at = kind === 'css' ? /\s@([A-Za-z_:][\w:.-]*)$/.exec(expr) : null;
    if (at) {
      attr = at[1]!;
      expr = expr.slice(0, at.index).trim();
    }
    if (names.has(name)) throw new Error(`${where}: the name "${name}" is used twice`);
    names.add(name);
    const rule: ExtractionRule = attr ? { name, kind, expr, attr } : { name, kind, expr };
    const problem = validateRule(rule);
    if (problem) throw new Error(`${where} (${name}): ${problem}`);
    rules.push(rule);
  });
  return rules;
}
