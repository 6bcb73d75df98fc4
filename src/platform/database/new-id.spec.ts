import { idFloorAt, newId } from './new-id';

describe('idFloorAt', () => {
  it('sorts below every id made at or after that time and above those made before', () => {
    const before = newId();
    const floor = idFloorAt(new Date(Date.now() + 2));
    const after = (() => {
      const deadline = Date.now() + 3;
      while (Date.now() < deadline);
      return newId();
    })();
    // Postgres compares uuids byte by byte, as these lower-case hex strings compare.
    expect(before < floor).toBe(true);
    expect(floor < after).toBe(true);
  });
});
