export interface SplitReply {
  /** What the sender wrote this time. */
  body: string;
  /** The earlier messages their client quoted below it, if any. */
  quoted: string | null;
}

/** "On Mon, 3 Mar 2025 at 10:00, Support <…> wrote:" and its usual translations. */
const ATTRIBUTION =
  /^(On|Le|Am|El|Il|Op)\s.*(wrote|a écrit|schrieb|escribió|ha scritto|schreef)\s*:\s*$/i;
const OUTLOOK_SEPARATOR = /^\s*(-{2,}\s*Original Message\s*-{2,}|_{20,})\s*$/i;
const OUTLOOK_HEADER = /^\s*\*?From:\*?\s.+/i;
const OUTLOOK_HEADER_NEXT = /^\s*\*?(Sent|Date|To|Subject):\*?\s/i;

/**
 * Splits a plain-text reply into the new text and the quoted history below it. Recognizes the
 * attribution line of Gmail/Apple Mail (also wrapped over two lines), Outlook's separators and
 * header blocks, and a trailing block of `>` lines. Inline replies between quotes are left whole,
 * as is a message that is nothing but a quote (a forward), so no text is ever dropped.
 */
export function splitQuotedReply(text: string): SplitReply {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const quotedTail = quotedTailStart(lines);
  const start = lines.findIndex((_, i) => startsQuote(lines, i, quotedTail));
  if (start < 0) return { body: text.trim(), quoted: null };
  const body = lines.slice(0, start).join('\n').trim();
  if (!body) return { body: text.trim(), quoted: null };
  return { body, quoted: lines.slice(start).join('\n').trim() };
}

/**
 * Where the trailing run of `>` and blank lines begins (lines.length when the text does not end
 * in one). Found once from the end, so that each line's test is constant time: asking "is every
 * line after this one quoted?" line by line is quadratic on a body of quotes.
 */
function quotedTailStart(lines: string[]): number {
  let start = lines.length;
  while (start > 0 && (lines[start - 1].trim() === '' || lines[start - 1].startsWith('>'))) start--;
  return start;
}

function startsQuote(lines: string[], i: number, quotedTail: number): boolean {
  const line = lines[i];
  if (ATTRIBUTION.test(line)) return true;
  if (/^(On|Le|Am|El|Il|Op)\s/i.test(line) && i + 1 < lines.length) {
    if (ATTRIBUTION.test(`${line} ${lines[i + 1]}`)) return true;
  }
  if (OUTLOOK_SEPARATOR.test(line)) return true;
  if (
    OUTLOOK_HEADER.test(line) &&
    lines.slice(i + 1, i + 4).some((next) => OUTLOOK_HEADER_NEXT.test(next))
  ) {
    return true;
  }
  return line.startsWith('>') && i >= quotedTail;
}
