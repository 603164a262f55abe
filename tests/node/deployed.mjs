// Drive @commercelayer/sdk, unmodified, against a deployed stage served at a custom domain.
//
//   CL_DOMAIN=cleanups.example.test CL_ORGANIZATION=demo CL_CLIENT_ID=... CL_CLIENT_SECRET=... \
//   CL_GATEWAY=http://127.0.0.1:4566 node deployed.mjs <prefix>
//
// The client is configured as a user of the deployed stage configures it: `organization` and `domain`,
// so it calls https://<organization>.<domain>/api/... The domain is not in DNS here, so `fetch` sends
// each request to CL_GATEWAY (the emulator) with the Host header the SDK addressed; path, method,
// headers and body are the SDK's own. Prints one JSON object of observations.
import http from 'node:http'
import { CommerceLayer } from '@commercelayer/sdk/bundle'

const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}
const DOMAIN = env('CL_DOMAIN')
const ORGANIZATION = env('CL_ORGANIZATION')
const GATEWAY = new URL(env('CL_GATEWAY'))
const BASE = `https://${ORGANIZATION}.${DOMAIN}`

/** A fetch that connects to GATEWAY and sends `Host: <the URL's host>`; only https://*.<DOMAIN> is allowed. */
function hostFetch (journal) {
  return async (input, options = {}) => {
    const request = new Request(input, options)
    const url = new URL(request.url)
    if (url.protocol !== 'https:' || !url.hostname.endsWith(`.${DOMAIN}`)) throw new Error(`unexpected URL ${url}`)
    journal.push(`${request.method} ${url.host}${url.pathname}`)
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined
    const headers = { ...Object.fromEntries(request.headers), host: url.host }
    return new Promise((resolve, reject) => {
      const outgoing = http.request({ host: GATEWAY.hostname, port: GATEWAY.port, method: request.method,
        path: url.pathname + url.search, headers }, (incoming) => {
        const chunks = []
        incoming.on('data', (chunk) => chunks.push(chunk))
        incoming.on('end', () => {
          const status = incoming.statusCode
          const payload = status === 204 ? null : Buffer.concat(chunks)
          resolve(new Response(payload, { status, headers: incoming.headers }))
        })
      })
      outgoing.on('error', reject)
      outgoing.end(body)
    })
  }
}

async function main () {
  const [prefix] = process.argv.slice(2)
  const journal = []
  const fetch = hostFetch(journal)
  // The token comes from the same domain root: POST https://<organization>.<domain>/oauth/token.
  const tokenResponse = await fetch(`${BASE}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: env('CL_CLIENT_ID'), client_secret: env('CL_CLIENT_SECRET') })
  })
  if (!tokenResponse.ok) throw new Error(`token: ${tokenResponse.status} ${await tokenResponse.text()}`)
  const { access_token: accessToken } = await tokenResponse.json()
  const cl = CommerceLayer({ organization: ORGANIZATION, domain: DOMAIN, accessToken, fetch })

  const category = await cl.shipping_categories.create({ name: `${prefix} shipping` })
  const skus = []
  for (const n of [1, 2]) {
    skus.push(await cl.skus.create({ code: `${prefix}-${n}`, name: `${prefix} ${n}`, shipping_category: cl.shipping_categories.relationship(category.id) }))
  }
  const created = await cl.cleanups.create({ resource_type: 'skus', filters: { code_start: `${prefix}-` } })
  const deadline = Date.now() + 90_000
  let cleanup = await cl.cleanups.retrieve(created.id)
  while (!['completed', 'interrupted'].includes(cleanup.status) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    cleanup = await cl.cleanups.retrieve(created.id)
  }
  const left = await cl.skus.list({ filters: { code_start: `${prefix}-` } })
  let missing = null
  try {
    await cl.cleanups.retrieve('nOsUcHiD00')
  } catch (error) {
    missing = { status: error.status, code: error.first?.()?.code }
  }
  const result = {
    skus_created: skus.length,
    cleanup: { id: cleanup.id, status: cleanup.status, records_count: cleanup.records_count, processed_count: cleanup.processed_count },
    skus_left: left.meta.recordCount,
    missing
  }
  process.stdout.write(JSON.stringify({ result, requests: journal }) + '\n')
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n${JSON.stringify(error.errors ?? null)}\n`)
  process.exit(1)
})
