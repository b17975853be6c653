// @ts-check
/* global module */
/**
 * Import graph rules for src/ (issue 9). Checked by `npm run lint` (lint:imports) and by
 * test/unit/architecture.test.ts, which also runs these rules against a fixture tree of wrong imports
 * to prove that they bite.
 *
 * Areas: src/api (Express API process), src/workers (BullMQ worker processes), src/shared (used by
 * both), src/simulator (local ThingSpeak stand-in) and src/tools (CLI tools such as the doctor).
 * Paths are relative to the directory the cruise runs in, so every rule is anchored at ^src/.
 *
 * tsPreCompilationDeps makes `import type` count: a type import still couples the importer to the
 * imported module's API, so it is held to the same rules as a value import.
 */
/** Matches a resolved npm package (also when it resolves from a parent node_modules) or, if resolution failed, its bare name. */
const npmPackage = (name) => `(^|/)node_modules/${name}/|^${name}(/|$)`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'api-not-to-workers',
      severity: 'error',
      comment:
        'The API and the workers are separate processes that only talk through Postgres and Redis queues. ' +
        'Code both need belongs in src/shared; importing src/workers from src/api would pull worker code (and its side effects) into the API process.',
      from: { path: '^src/api/' },
      to: { path: '^src/workers/' },
    },
    {
      name: 'workers-not-to-api',
      severity: 'error',
      comment:
        'The workers are separate processes from the API and must start without Express or any API module. ' +
        'Move what both need into src/shared.',
      from: { path: '^src/workers/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'shared-not-to-apps',
      severity: 'error',
      comment:
        'src/shared is the library every process uses; it must not depend on any one of them (api, workers) ' +
        'nor on the dev-only simulator and tools, or it stops being shareable and invites cycles.',
      from: { path: '^src/shared/' },
      to: { path: '^src/(api|workers|simulator|tools)/' },
    },
    {
      name: 'simulator-and-tools-not-to-processes',
      severity: 'error',
      comment:
        'The simulator and the CLI tools (doctor) run on their own and may use src/shared only; ' +
        'importing src/api or src/workers would start or couple them to a production process.',
      from: { path: '^src/(simulator|tools)/' },
      to: { path: '^src/(api|workers)/' },
    },
    {
      name: 'processes-not-to-dev-tools',
      severity: 'error',
      comment:
        'Production processes (api, workers) must not depend on the local ThingSpeak simulator or the CLI tools: ' +
        'those are dev and ops entry points, not libraries.',
      from: { path: '^src/(api|workers)/' },
      to: { path: '^src/(simulator|tools)/' },
    },
    {
      name: 'simulator-and-tools-apart',
      severity: 'error',
      comment: 'The simulator and the CLI tools are independent entry points; what both need belongs in src/shared.',
      from: { path: '^src/(simulator|tools)/' },
      to: { path: '^src/(simulator|tools)/', pathNot: '^src/$1/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Circular imports make module initialisation order matter (undefined values at load time) and tangle layers. ' +
        'Type-only cycles count too: move the shared types into their own module.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'knex-only-in-repositories-and-db',
      severity: 'error',
      comment:
        'SQL and the query builder stay in src/shared/**/*.repository.ts and src/shared/db/. Everything else ' +
        '(routes, services, engines, processors, tools) goes through a repository, also for types: use a type exported by src/shared/db/ or a repository.',
      from: { path: '^src/', pathNot: ['^src/shared/db/', '^src/shared/.+\\.repository\\.ts$'] },
      to: { path: npmPackage('knex') },
    },
    {
      name: 'bullmq-only-in-queues-and-workers',
      severity: 'error',
      comment:
        'BullMQ is an implementation detail of the queues (src/shared/queues/) and of the worker processes (src/workers/). ' +
        'Other code enqueues through src/shared/queues and uses the types it exports.',
      from: { path: '^src/', pathNot: ['^src/shared/queues/', '^src/workers/'] },
      to: { path: npmPackage('bullmq') },
    },
    {
      name: 'migrations-only-from-migrate',
      severity: 'error',
      comment:
        'Migrations are frozen history: run only by src/shared/db/migrate.ts. Domain code must not import them ' +
        '(a later migration changes the schema, not the old file); keep enums and constants in the domain modules.',
      from: { path: '^src/', pathNot: '^src/shared/db/migrate\\.ts$' },
      to: { path: '^src/shared/db/migrations/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    // Relative to the directory the cruise runs in; test/fixtures/import-graph has one that extends the root's.
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
