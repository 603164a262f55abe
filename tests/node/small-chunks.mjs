// `node --import ./small-chunks.mjs ...`: lower the CLI's per-cleanup limit to CL_TEST_MAX_CLEANUP_SIZE.
//
// The plugin splits anything over cli-core's `clConfig.cleanups.max_size` (10,000) into chunk cleanups;
// lowering that constant before the plugin loads runs the very same chunking code on a few dozen
// records, so `make test` covers it in seconds. The unmodified 10,000 limit is the slow test's job.
import { createRequire } from 'node:module'

const size = Number(process.env.CL_TEST_MAX_CLEANUP_SIZE)
if (!Number.isInteger(size) || size < 1) throw new Error('small-chunks.mjs needs CL_TEST_MAX_CLEANUP_SIZE >= 1')
// Resolve cli-core from the plugin, so this is the very module instance (CommonJS cache) it will use.
const fromPlugin = createRequire(createRequire(import.meta.url).resolve('@commercelayer/cli-plugin-cleanups/package.json'))
fromPlugin('@commercelayer/cli-core').clConfig.cleanups.max_size = size
