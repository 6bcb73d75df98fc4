import { expectLinear, HOSTILE_PATTERNS } from '../../../test/support/hostile-text';
import { htmlToText } from './html-to-text';

describe('htmlToText', () => {
  it('keeps the text, breaks lines at block ends and drops scripts, styles and tags', () => {
    const html =
      '<html><head><style>p { color: red }</style><SCRIPT>alert(1)</script></head>' +
      '<body><p>Hello&nbsp;<b>Ann</b>,</p><div>2 &lt; 3 &amp; 4 &gt; 1</div>Bye<br/>Bob</body></html>';
    expect(htmlToText(html)).toBe('Hello Ann,\n2 < 3 & 4 > 1\nBye\nBob');
  });

  it('keeps text that only looks like a tag: "<>", and "<" with no ">" after it', () => {
    expect(htmlToText('a <> b < c <d e')).toBe('a <> b < c <d e');
    expect(htmlToText('<i>x</i> <script>never closed')).toBe('x never closed');
  });

  it('collapses runs of empty lines', () => {
    expect(htmlToText('a<br><br><br><br>b')).toBe('a\n\nb');
  });

  it.each(Object.entries(HOSTILE_PATTERNS))('stays linear on %s', (_, unit) => {
    expectLinear(htmlToText, unit);
  });
});
