/**
 * A strict little HTML reader for tests of pages we generate: it tokenises tags, attributes and text, and refuses
 * what our renderer never writes (unbalanced tags, a raw `<` in text, an unknown character reference). Enough to
 * assert on elements and attributes without a dependency.
 */

/** An element as it was opened, with its decoded attributes and its parent chain. */
export interface HtmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly ancestors: readonly string[];
}

/** What `parseHtml` returns. */
export interface ParsedHtml {
  readonly elements: readonly HtmlElement[];
  /** The decoded text content, pieces joined with a space. */
  readonly text: string;
}

const VOID = new Set(['meta', 'link', 'br', 'img', 'input', 'hr', 'source', 'area', 'base', 'col', 'wbr']);
const RAW_TEXT = new Set(['style', 'script', 'title']);
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

function decode(text: string): string {
  return text.replace(/&([a-z]+|#\d+);|&/g, (match, name: string | undefined) => {
    if (name === undefined) throw new Error(`bare & in ${JSON.stringify(text.slice(0, 80))}`);
    const value = ENTITIES[name];
    if (value === undefined) throw new Error(`unknown reference ${match}`);
    return value;
  });
}

/** Parses `html`; throws on anything malformed. */
export function parseHtml(html: string): ParsedHtml {
  const elements: HtmlElement[] = [];
  const texts: string[] = [];
  const open: string[] = [];
  let i = 0;
  const body = html.replace(/^<!DOCTYPE html>\s*/i, '');
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    const chunk = body.slice(i, lt === -1 ? body.length : lt);
    if (chunk.includes('>')) throw new Error(`raw > in text: ${JSON.stringify(chunk.slice(0, 80))}`);
    if (chunk.trim()) texts.push(decode(chunk.trim()));
    if (lt === -1) break;
    const gt = body.indexOf('>', lt);
    if (gt === -1) throw new Error('unterminated tag');
    const tag = body.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim().toLowerCase();
      const top = open.pop();
      if (top !== name) throw new Error(`</${name}> closes <${top ?? 'nothing'}>`);
      continue;
    }
    const m = /^([a-zA-Z][a-zA-Z0-9-]*)([\s\S]*?)(\/?)$/.exec(tag);
    if (!m) throw new Error(`malformed tag <${tag.slice(0, 60)}>`);
    const name = (m[1] ?? '').toLowerCase();
    const attributes: Record<string, string> = {};
    const rest = (m[2] ?? '').trim();
    const attr = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?\s*/gy;
    let consumed = 0;
    for (let a = attr.exec(rest); a && a[0] !== ''; a = attr.exec(rest)) {
      attributes[(a[1] ?? '').toLowerCase()] = decode(a[2] ?? '');
      consumed = attr.lastIndex;
    }
    if (consumed !== rest.length) throw new Error(`malformed attributes in <${tag.slice(0, 80)}>`);
    elements.push({ name, attributes, ancestors: [...open] });
    if (m[3] === '/' || VOID.has(name)) continue;
    if (RAW_TEXT.has(name)) {
      const close = body.indexOf(`</${name}>`, i);
      if (close === -1) throw new Error(`<${name}> is never closed`);
      if (name === 'title') texts.push(decode(body.slice(i, close)));
      i = close + name.length + 3;
      continue;
    }
    open.push(name);
  }
  if (open.length > 0) throw new Error(`unclosed: ${open.join(' > ')}`);
  return { elements, text: texts.join(' ') };
}
