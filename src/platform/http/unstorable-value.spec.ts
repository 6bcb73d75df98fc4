import { findUnstorableValue, MAX_JSON_DEPTH } from './unstorable-value';

describe('findUnstorableValue', () => {
  it.each([
    [{ name: 'Ann 😀', metadata: { tags: ['a', 'ü'], n: 1, ok: true, none: null } }],
    [{ pair: '\ud83d\ude00' }],
    [{}],
    [undefined],
  ])('finds nothing in %j', (value) => {
    expect(findUnstorableValue(value)).toBeNull();
  });

  it.each([
    [{ name: 'a\u0000b' }, 'name', /NUL character/],
    [{ name: '\ud800' }, 'name', /lone UTF-16 surrogate/],
    [{ name: 'x\udc00' }, 'name', /lone UTF-16 surrogate/],
    [{ name: '\ude00\ud83d' }, 'name', /lone UTF-16 surrogate/],
    [{ metadata: { order: { notes: ['ok', '\u0000'] } } }, 'metadata.order.notes[1]', /NUL/],
    [{ metadata: { ['k\u0000']: 1 } }, 'metadata', /has a key that contains a NUL/],
    [{ template: { name: '\ud800' } }, 'template.name', /surrogate/],
  ])('names the field of %j', (value, field, why) => {
    const found = findUnstorableValue(value);
    expect(found?.field).toBe(field);
    expect(found?.message).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')} `));
    expect(found?.message).toMatch(why);
  });

  it('stops at MAX_JSON_DEPTH, naming the top-level field, without walking deeper', () => {
    let deep: unknown = '\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableValue({ metadata: deep })).toEqual({
      field: 'metadata',
      message: `metadata is nested more than ${MAX_JSON_DEPTH} levels deep`,
    });
  });
});
