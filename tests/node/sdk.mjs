// Drive @commercelayer/sdk, unmodified, against the local stack and print what it saw as one JSON object.
//
//   CL_LOCAL_API_URL=http://127.0.0.1:8000 node sdk.mjs <scenario> [args...]
//
// The client is built as any integration would build it (organization slug, access token from the
// service's own POST /oauth/token); its `fetch` option only rewrites https://demo.commercelayer.io to
// the local stack. Each scenario returns plain observations; tests/e2e/test_official_clients.py asserts.
import { CommerceLayerStatic } from '@commercelayer/sdk'
import { CommerceLayer } from '@commercelayer/sdk/bundle'
import { redirectingFetch } from './redirect.mjs'

const API_URL = required('CL_LOCAL_API_URL')
const ORGANIZATION = process.env.CL_ORGANIZATION ?? 'demo'
const CLIENT_ID = process.env.CL_CLIENT_ID ?? 'dev-integration-test'
const CLIENT_SECRET = process.env.CL_CLIENT_SECRET ?? 'dev-secret'
const TERMINAL = ['completed', 'interrupted']

function required (name) {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

/** client_credentials against the service's token endpoint, as the SDK's README tells users to. */
async function accessToken () {
  const response = await fetch(`${API_URL}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET })
  })
  if (!response.ok) throw new Error(`POST /oauth/token answered ${response.status}: ${await response.text()}`)
  return (await response.json()).access_token
}

/** What a caught SDK error looks like to its user: class, status, and the API's error objects. */
function describeError (error) {
  const first = error.first?.()
  return {
    name: error.name,
    is_api_error: CommerceLayerStatic.isApiError(error),
    type: error.type,
    status: error.status,
    code: error.code,
    message: error.message,
    first: first ? { code: first.code, status: first.status, title: first.title, source: first.source } : null
  }
}

async function failure (promise) {
  try {
    await promise
  } catch (error) {
    return describeError(error)
  }
  return null
}

async function pollUntilDone (cl, id, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  let cleanup = await cl.cleanups.retrieve(id)
  let polls = 1
  while (!TERMINAL.includes(cleanup.status) && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 100))
    cleanup = await cl.cleanups.retrieve(id)
    polls += 1
  }
  return { cleanup, polls }
}

const cleanupView = (c) => c && {
  id: c.id,
  type: c.type,
  resource_type: c.resource_type,
  status: c.status,
  filters: c.filters,
  reference: c.reference,
  reference_origin: c.reference_origin,
  metadata: c.metadata,
  records_count: c.records_count,
  processed_count: c.processed_count,
  errors_count: c.errors_count,
  errors_log: c.errors_log,
  started_at: c.started_at,
  completed_at: c.completed_at,
  interrupted_at: c.interrupted_at,
  created_at: c.created_at
}

const listView = (list) => ({ ids: list.map(r => r.id), meta: list.meta, keys: list.map(r => Object.keys(r).sort()) })

/** Skus (each with a price in one price list) under `prefix`, created through the SDK. */
async function createCatalog (cl, prefix, count) {
  const category = await cl.shipping_categories.create({ name: `${prefix} shipping`, code: `${prefix}-ship` })
  const priceList = await cl.price_lists.create({ name: `${prefix} prices`, code: `${prefix}-eur`, currency_code: 'EUR' })
  const skus = []
  for (let n = 0; n < count; n++) {
    skus.push(await cl.skus.create({
      code: `${prefix}-${String(n).padStart(3, '0')}`,
      name: `${prefix} sku ${n}`,
      shipping_category: cl.shipping_categories.relationship(category.id)
    }))
  }
  const prices = []
  for (const sku of skus) {
    prices.push(await cl.prices.create({
      amount_cents: 1000,
      sku: cl.skus.relationship(sku.id),
      price_list: cl.price_lists.relationship(priceList.id)
    }))
  }
  return { category, priceList, skus, prices }
}

const scenarios = {
  /** Create and list the records a cleanup removes: skus need a shipping category, a price needs both. */
  async records (cl, prefix) {
    const { category, priceList, skus, prices } = await createCatalog(cl, prefix, 3)
    const firstPage = await cl.skus.list({ filters: { code_start: `${prefix}-` }, sort: { code: 'desc' }, pageSize: 2 })
    const secondPage = await cl.skus.list({ filters: { code_start: `${prefix}-` }, sort: { code: 'desc' }, pageSize: 2, pageNumber: 2 })
    const sparse = await cl.skus.list({ filters: { code_start: `${prefix}-` }, fields: ['code'], pageSize: 1 })
    const pricesOfList = await cl.prices.list({ filters: { price_list_id_eq: priceList.id, sku_id_in: skus.map(s => s.id) } })
    return {
      category: { id: category.id, type: category.type, code: category.code },
      price_list: { id: priceList.id, currency_code: priceList.currency_code },
      skus: skus.map(s => ({ id: s.id, code: s.code, shipping_category: s.shipping_category })),
      prices: prices.map(p => ({ id: p.id, amount_cents: p.amount_cents, currency_code: p.currency_code, sku: p.sku, price_list: p.price_list })),
      first_page: { ...listView(firstPage), codes: firstPage.map(s => s.code), has_next: firstPage.hasNextPage() },
      second_page: { ...listView(secondPage), codes: secondPage.map(s => s.code), has_next: secondPage.hasNextPage() },
      sparse: { ...listView(sparse), code: sparse.first()?.code, name: sparse.first()?.name },
      prices_of_list: listView(pricesOfList)
    }
  },

  /** The whole life of a cleanup: create, list, retrieve, update, run to completion, records gone, delete. */
  async lifecycle (cl, prefix) {
    const { skus, prices } = await createCatalog(cl, prefix, 3)
    const created = await cl.cleanups.create({
      resource_type: 'skus',
      filters: { code_start: `${prefix}-` },
      reference: `${prefix}-ref`,
      reference_origin: 'sdk-e2e',
      metadata: { suite: 'official-clients', prefix }
    })
    const listed = await cl.cleanups.list({
      filters: { reference_eq: `${prefix}-ref`, resource_type_eq: 'skus' },
      sort: { created_at: 'desc' },
      pageSize: 1,
      fields: ['status', 'reference', 'records_count']
    })
    const updated = await cl.cleanups.update({ id: created.id, metadata: { suite: 'official-clients', updated: true } })
    const { cleanup: done, polls } = await pollUntilDone(cl, created.id)
    const skusAfter = await cl.skus.list({ filters: { code_start: `${prefix}-` } })
    const pricesAfter = await cl.prices.list({ filters: { sku_id_in: skus.map(s => s.id) } })
    await cl.cleanups.delete(created.id)
    return {
      created: cleanupView(created),
      listed: { ...listView(listed), first: listed.first() },
      updated: cleanupView(updated),
      done: cleanupView(done),
      polls,
      skus_before: skus.length,
      prices_before: prices.length,
      skus_after: skusAfter.meta.recordCount,
      prices_after: pricesAfter.meta.recordCount,
      retrieve_after_delete: await failure(cl.cleanups.retrieve(created.id))
    }
  },

  /** `_interrupt` a running cleanup over records seeded in bulk under `prefix`. */
  async interrupt (cl, prefix) {
    const created = await cl.cleanups.create({ resource_type: 'skus', filters: { code_start: prefix } })
    const interrupted = await cl.cleanups._interrupt(created.id)
    const { cleanup: settled } = await pollUntilDone(cl, created.id)
    const again = await failure(cl.cleanups._interrupt(created.id))
    return { created: cleanupView(created), interrupted: cleanupView(interrupted), settled: cleanupView(settled), again }
  },

  /** What the SDK raises for the service's error responses. */
  async errors (cl, prefix) {
    return {
      unknown_id: await failure(cl.cleanups.retrieve('nOsUcHiD00')),
      bad_resource_type: await failure(cl.cleanups.create({ resource_type: 'orders', filters: {} })),
      unknown_filter: await failure(cl.cleanups.create({ resource_type: 'skus', filters: { colour_eq: 'red' } })),
      unknown_list_filter: await failure(cl.skus.list({ filters: { colour_eq: 'red' } })),
      page_too_large: await failure(cl.skus.list({ pageSize: 26 })),
      sku_without_category: await failure(cl.skus.create({ code: `${prefix}-orphan`, name: 'orphan' }))
    }
  }
}

async function main () {
  const [name, ...args] = process.argv.slice(2)
  const scenario = scenarios[name]
  if (!scenario) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`)
  const journal = []
  const cl = CommerceLayer({
    organization: ORGANIZATION,
    accessToken: await accessToken(),
    fetch: redirectingFetch(API_URL, { journal })
  })
  const started = Date.now()
  const result = await scenario(cl, ...args)
  process.stdout.write(JSON.stringify({ scenario: name, result, requests: journal, ms: Date.now() - started }) + '\n')
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n${JSON.stringify(error.errors ?? null)}\n`)
  process.exit(1)
})
