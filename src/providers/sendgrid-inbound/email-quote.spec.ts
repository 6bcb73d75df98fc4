import { splitQuotedReply } from './email-quote';
import { expectLinear, HOSTILE_PATTERNS, KiB, repeatTo } from '../../../test/support/hostile-text';

describe('splitQuotedReply', () => {
  it('splits at a Gmail attribution line', () => {
    const text =
      'Yes, Tuesday works.\n\nOn Mon, 3 Mar 2025 at 10:00, Support <help@shop.example> wrote:\n> Would Tuesday work?\n';
    expect(splitQuotedReply(text)).toEqual({
      body: 'Yes, Tuesday works.',
      quoted:
        'On Mon, 3 Mar 2025 at 10:00, Support <help@shop.example> wrote:\n> Would Tuesday work?',
    });
  });

  it('splits at an attribution wrapped over two lines', () => {
    const text =
      'Thanks!\n\nOn Mon, 3 Mar 2025 at 10:00, Support Team <help@shop.example>\nwrote:\n> Hi';
    expect(splitQuotedReply(text).body).toBe('Thanks!');
  });

  it('splits at Outlook separators and header blocks', () => {
    expect(splitQuotedReply('Fine.\r\n-----Original Message-----\r\nFrom: A\r\nold').body).toBe(
      'Fine.',
    );
    const outlook =
      'Fine.\n\nFrom: Support <help@shop.example>\nSent: Monday, March 3, 2025 10:00\nTo: me\nold text';
    expect(splitQuotedReply(outlook)).toEqual({
      body: 'Fine.',
      quoted:
        'From: Support <help@shop.example>\nSent: Monday, March 3, 2025 10:00\nTo: me\nold text',
    });
  });

  it('splits at a trailing block of > lines, but keeps inline replies whole', () => {
    expect(splitQuotedReply('New text\n> old\n>\n> older').quoted).toBe('> old\n>\n> older');
    const inline = '> question one\nanswer one\n> question two\nanswer two';
    expect(splitQuotedReply(inline)).toEqual({ body: inline, quoted: null });
  });

  it('keeps the whole text when nothing new precedes the quote, or nothing is quoted', () => {
    expect(splitQuotedReply('> only a quote')).toEqual({ body: '> only a quote', quoted: null });
    expect(splitQuotedReply('Hello,\nFrom: the team\n')).toEqual({
      body: 'Hello,\nFrom: the team',
      quoted: null,
    });
  });
});

describe('splitQuotedReply on hostile bodies', () => {
  it.each(Object.entries(HOSTILE_PATTERNS))('stays linear on %s', (_, unit) => {
    expectLinear(splitQuotedReply, unit);
  });

  it('still takes a trailing quote after a long quoted body', () => {
    const quote = repeatTo('>a\n', 64 * KiB);
    expect(splitQuotedReply(`New text\n${quote}`)).toEqual({
      body: 'New text',
      quoted: quote.trim(),
    });
  });
});
