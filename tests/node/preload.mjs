// `node --import ./preload.mjs ...`: every fetch to *.commercelayer.io goes to CL_LOCAL_API_URL.
//
// The CLI plugin creates its own SDK client (no fetch option to pass), and the SDK calls the global
// fetch at request time, so replacing globalThis.fetch is the whole redirect. With CL_LOCAL_JOURNAL
// set, each request is also appended to that file as "METHOD /path?query", for the tests to read.
import { appendFileSync } from 'node:fs'
import { redirectingFetch } from './redirect.mjs'

const target = process.env.CL_LOCAL_API_URL
if (!target) throw new Error('preload.mjs needs CL_LOCAL_API_URL (the local stack, e.g. http://127.0.0.1:8000)')
const journalPath = process.env.CL_LOCAL_JOURNAL
const journal = journalPath ? { push: (line) => appendFileSync(journalPath, `${line}\n`) } : undefined
const redirected = redirectingFetch(target, { journal, base: globalThis.fetch })
// With CL_LOCAL_STATUS_JOURNAL set, each response's status is appended there, one a line (the bench counts 429s).
const statusPath = process.env.CL_LOCAL_STATUS_JOURNAL
globalThis.fetch = !statusPath ? redirected : async (url, options) => {
  const response = await redirected(url, options)
  appendFileSync(statusPath, `${response.status}\n`)
  return response
}
