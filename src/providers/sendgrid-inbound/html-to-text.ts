const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
  nbsp: ' ',
};
/** Tags that end a line of text (`<br>`, `</p>`, `</div>`, `</li>`, `</h1>`…). */
const LINE_BREAK = /^(br|\/p|\/div|\/li|\/h\d)/i;
/** Elements whose content is not text a person reads. */
const SKIPPED = ['script', 'style'];

/**
 * Good enough to read an HTML-only email as text; the full HTML stays in the raw event. One
 * pass from left to right that never looks at a character twice: regular expressions over
 * tags backtrack on a body of `<` with no `>` (quadratic), which an email can be.
 */
export function htmlToText(html: string): string {
  const parts: string[] = [];
  /** Skipped elements with no closing tag after some point have none after any later point. */
  const unclosed = new Set<string>();
  let at = 0;
  while (at < html.length) {
    const open = html.indexOf('<', at);
    const close = open < 0 ? -1 : html.indexOf('>', open + 1);
    // No tag ends after here: the rest is text.
    if (close < 0) break;
    if (close === open + 1) {
      parts.push(html.slice(at, close + 1));
      at = close + 1;
      continue;
    }
    if (open > at) parts.push(html.slice(at, open));
    // Most tags are neither: one character tells, without cutting a string per tag.
    const first = String.fromCharCode(html.charCodeAt(open + 1) | 0x20);
    const skipped =
      first === 's'
        ? SKIPPED.find(
            (name) =>
              !unclosed.has(name) &&
              html.slice(open + 1, open + 1 + name.length).toLowerCase() === name,
          )
        : undefined;
    const end = skipped ? closingTagEnd(html, skipped, open) : -1;
    if (skipped && end < 0) unclosed.add(skipped);
    if (end >= 0) {
      at = end;
      continue;
    }
    if ((first === 'b' || first === '/') && LINE_BREAK.test(html.slice(open + 1, open + 5))) {
      parts.push('\n');
    }
    at = close + 1;
  }
  parts.push(html.slice(at));
  return parts
    .join('')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => ENTITIES[name])
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The index just after `</name>` (any case) following `from`, or -1. */
function closingTagEnd(html: string, name: string, from: number): number {
  const closing = new RegExp(`</${name}>`, 'gi');
  closing.lastIndex = from;
  const found = closing.exec(html);
  return found ? found.index + found[0].length : -1;
}
