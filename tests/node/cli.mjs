// Run the Commerce Layer CLI cleanups plugin's commands through @oclif/core, as `commercelayer` would.
//
//   node --import ./preload.mjs cli.mjs cleanups:create -t skus -w code_start=ABC -q
//
// Organization, domain and token come from CL_CLI_ORGANIZATION / CL_CLI_DOMAIN / CL_CLI_ACCESS_TOKEN,
// the environment variables the plugin's base command reads for its hidden flags.
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { execute } from '@oclif/core'

const require = createRequire(import.meta.url)
const plugin = dirname(require.resolve('@commercelayer/cli-plugin-cleanups/package.json'))

await execute({ dir: plugin, args: process.argv.slice(2) })
