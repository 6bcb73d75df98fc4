import { SendSlots } from './send-slots';

/** A call that runs until `finish` is called, noting when it started. */
function heldCall(started: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { call: () => (started.push(name), done), finish: () => finish() };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SendSlots', () => {
  it('runs at most `size` calls at once', async () => {
    const slots = new SendSlots(2);
    const started: string[] = [];
    const calls = ['a', 'b', 'c'].map((name) => heldCall(started, name));
    const sends = calls.map((held) => slots.turn().send(held.call));
    await settle();
    expect(started).toEqual(['a', 'b']);
    calls[0].finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    calls[1].finish();
    calls[2].finish();
    await Promise.all(sends);
  });

  it('starts calls in the order the turns were taken, whatever order they ask in', async () => {
    const slots = new SendSlots(1);
    const started: string[] = [];
    const [first, second, third] = [slots.turn(), slots.turn(), slots.turn()];
    const [a, b, c] = ['first', 'second', 'third'].map((name) => heldCall(started, name));
    const sends = [third.send(c.call), second.send(b.call)];
    await settle();
    expect(started).toEqual([]);
    sends.push(first.send(a.call));
    await settle();
    expect(started).toEqual(['first']);
    a.finish();
    await settle();
    expect(started).toEqual(['first', 'second']);
    b.finish();
    await settle();
    expect(started).toEqual(['first', 'second', 'third']);
    c.finish();
    await Promise.all(sends);
  });

  it('lets later turns go once an earlier one leaves without calling', async () => {
    const slots = new SendSlots(1);
    const started: string[] = [];
    const [refused, next] = [slots.turn(), slots.turn()];
    const held = heldCall(started, 'next');
    const send = next.send(held.call);
    await settle();
    expect(started).toEqual([]);
    refused.leave();
    await settle();
    expect(started).toEqual(['next']);
    held.finish();
    await send;
  });

  it('frees the slot when a call fails', async () => {
    const slots = new SendSlots(1);
    await expect(
      slots.turn().send(() => Promise.reject(new Error('provider down'))),
    ).rejects.toThrow('provider down');
    await expect(slots.turn().send(() => Promise.resolve('sent'))).resolves.toBe('sent');
  });
});
