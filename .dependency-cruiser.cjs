// The house's layering, checked by `npm run lint:layers` (part of `npm test`):
//   shared  ←  platform  ←  providers  ←  modules  ←  app  ←  main.ts / worker.ts
// Each layer imports only the ones to its left; one provider folder never reaches into another;
// no two module folders import each other, directly or round a longer circle.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'shared-imports-nothing',
      comment: 'src/shared is vocabulary (channels, ports, error kinds): it imports nothing of ours.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'platform-imports-only-shared',
      comment: 'Plumbing knows no provider and no module.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: '^src/(platform|shared)/' },
    },
    {
      name: 'providers-import-no-module',
      comment: 'A provider speaks its wire format; what the product does with it lives in modules.',
      severity: 'error',
      from: { path: '^src/providers/' },
      to: { path: '^src/', pathNot: '^src/(providers|platform|shared)/' },
    },
    {
      name: 'provider-folders-stand-alone',
      comment: 'Everything about one provider is in its folder; they share only the root files.',
      severity: 'error',
      from: { path: '^src/providers/([^/]+)/' },
      to: { path: '^src/providers/[^/]+/', pathNot: '^src/providers/$1/' },
    },
    {
      name: 'modules-import-no-app',
      comment: 'src/app assembles the processes; nothing below it imports it.',
      severity: 'error',
      from: { path: '^src/(modules|providers|platform|shared)/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'no-circle-between-module-folders',
      comment: 'Two modules that need each other are missing a third (or an event).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/modules/[^/]+' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
