// Send the official clients' requests to the local stack: only the request URL changes.
//
// The SDK always builds https://<organization>.<domain>/api/...; `redirectingFetch(target)` is a
// fetch that swaps that origin for the local stack's and leaves method, headers and body alone.

const HOSTED = /^[a-z0-9-]+\.commercelayer\.(io|co)$/i
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** The URL the request really goes to: Commerce Layer hosts become `target`, loopback passes. */
export function redirectUrl (url, target) {
  const from = new URL(url instanceof Request ? url.url : String(url))
  if (LOOPBACK.has(from.hostname)) return from
  // Anything else leaving the machine means a client talks to a host we did not expect: fail loudly.
  if (!HOSTED.test(from.hostname)) throw new Error(`request to an unexpected host: ${from.href}`)
  const to = new URL(target)
  from.protocol = to.protocol
  from.host = to.host
  return from
}

/** A fetch for the SDK's `fetch` option; `journal`, when given, receives "METHOD /path?query" per request. */
export function redirectingFetch (target, { journal, base = globalThis.fetch } = {}) {
  return async (url, options = {}) => {
    const real = redirectUrl(url, target)
    const method = options.method ?? (url instanceof Request ? url.method : 'GET')
    journal?.push(`${method} ${real.pathname}${real.search}`)
    // A Request carries its own method, headers and body: keep them, change only the URL.
    return base(url instanceof Request ? new Request(real, url) : real, options)
  }
}
