import { killLeftovers } from './owned-processes';

// Runs after the file's own afterAll hooks (those live in its describe blocks): anything still
// running was leaked, by a failed test or a missing stop(), and would keep Jest from exiting.
afterAll(async () => {
  const leftovers = await killLeftovers();
  if (leftovers.length > 0) {
    process.stderr.write(
      `stopped processes this test file left running:\n  ${leftovers.join('\n  ')}\n`,
    );
  }
});
