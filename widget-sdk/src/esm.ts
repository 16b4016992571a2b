// Entry point of the npm package's ES module (widget-sdk/npm): init() starts
// the same SDK as the script tag, and the PopinBridge calls are exported as
// functions. Called before init(), consent/identify/track/flush/debug queue
// like the inline stub's and are replayed, in order, when init() runs.
// Nothing runs at import time, so importing is safe outside a browser (server
// rendering); there init() does nothing and the calls resolve to nothing.
// The declarations are widget-sdk/npm/index.d.ts.

import { start } from './start'

export type InitOptions = { key: string; endpoint: string; debug?: boolean; pixelDedup?: boolean; tcf?: boolean }

const win = () => (typeof window == 'object' ? (window as any) : null)

// init starts the SDK for the site's write key, sending to endpoint (the
// bridge's URL, a path prefix allowed). A second call does nothing.
export function init(o: InitOptions): void {
  if (!win()) return
  if (!o || !o.key || !o.endpoint) throw new TypeError('PopinBridge init: key and endpoint are required')
  try {
    start(o.key, o.endpoint, !!o.debug, !!o.pixelDedup, o.tcf !== false)
  } catch (e) {}
}

// api returns window.PopinBridge, creating the inline stub's queue when the
// SDK has not started yet.
function api(): any {
  const w = win()
  if (!w) return null
  const b = (w.PopinBridge = w.PopinBridge || { q: [] })
  for (const n of ['consent', 'identify', 'track', 'flush', 'debug'])
    b[n] = b[n] || ((...a: any[]) => new Promise((r) => b.q.push([n, a, r])))
  return b
}

const call =
  (n: string) =>
  (...a: any[]): any => {
    const b = api()
    return b ? b[n](...a) : Promise.resolve(false)
  }

export const consent = call('consent')
export const identify = call('identify')
export const track = call('track')
export const flush = call('flush')
export const debug = call('debug')

// stats reports the outbox; zeros before init().
export function stats(): { pending: number; dropped: number; http: number } {
  const b = api()
  return b && b.stats ? b.stats() : { pending: 0, dropped: 0, http: 0 }
}
