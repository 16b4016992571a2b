// Transport: one WebSocket per page to /v1/ws, batched sends, per-event acks,
// jittered exponential reconnect, HTTP POST /v1/events when WebSockets seem
// blocked, and keepalive requests (or sendBeacon) when the page is hidden or
// left. Messages (CONTRACT §5): {"ack":[ids]}, {"reject":[{id,code,error}]},
// {"retry_after_ms":N}, {"consent_mode":M} (first on every socket); HTTP
// answers {"accepted":[...],"rejected":[...],"consent_mode":M}.

import { mode, ready, setMode } from './ctx'
import type { Entry } from './outbox'
import { jp, now } from './util'

export const BATCH = 10 // events: send at once
export const WAIT = 1e3 // ms: or after this delay

export function transport(base: string, key: string, o: any, log: (...a: any[]) => void) {
  const q = '?key=' + encodeURIComponent(key)
  const wsURL = base.replace(/^http/, 'ws') + '/v1/ws' + q
  const hURL = base + '/v1/events' + q
  const P: Entry[] = o.P_
  let ws: WebSocket | null = null
  let opened = 0 // a WebSocket opened at least once on this page
  let fails = 0
  let hold = 0 // no sending before this time (backoff, retry hints)
  let timer: any = 0
  let solo = 0 // after a refused frame: one event per frame, one frame in flight

  // handle applies a server answer: acks/accepted and rejects/rejected leave
  // the outbox (a rejected event is never resent); a retry hint
  // ({"retry_after_ms":N}, e.g. over a rate limit) keeps the events and
  // holds sending; consent_mode is the site's (ctx.ts), then events may go.
  const handle = (m: any) => {
    if (!m) return
    if (m.consent_mode) setMode(m.consent_mode), pump()
    o.done_(m.ack || m.accepted)
    o.done_(m.reject || m.rejected)
    if (m.retry_after_ms) later(m.retry_after_ms)
  }

  // refused handles a frame or body the server refused whole (close 1007 or
  // 1009, HTTP 400 or 413): one bad event must not block the others, so the
  // SDK goes on one event at a time and drops an event refused on its own.
  const refused = (c: Entry[]) => {
    if (solo && c.length == 1) log(c[0].e), o.done_([c[0].e.id])
    solo = 1
  }

  // later puts every in-flight event back and waits ms (default: backoff).
  const later = (ms?: number) => {
    for (const w of P) w.s = 0
    hold = now() + (ms || Math.min(3e4, 300 * 2 ** fails) * (0.5 + Math.random() / 2))
    soon(hold - now())
  }

  const fail = (ms?: number) => {
    fails++
    if (!opened && fails > 2 && !t.http_) (t.http_ = 1), (fails = 0)
    later(ms)
  }

  const soon = (ms: number) => {
    if (!timer) timer = setTimeout(pump, ms)
  }

  // send schedules a send: at once when BATCH events wait, else after WAIT.
  const send = () => {
    P.filter((w) => !w.s).length < BATCH ? soon(WAIT) : pump()
  }

  // chunks splits entries into bodies of at most 100 events and lim bytes.
  const chunks = (l: Entry[], lim: number) => {
    const r: Entry[][] = []
    let c: Entry[] = []
    let n = 9
    for (const w of l) {
      const b = new Blob([JSON.stringify(w.e)]).size + 1
      if (c.length && (c.length > 99 || n + b > lim)) r.push(c), (c = []), (n = 9)
      c.push(w), (n += b)
    }
    if (c.length) r.push(c)
    return r
  }
  const body = (c: Entry[]) => JSON.stringify({ batch: c.map((w) => w.e) })

  const pump = () => {
    clearTimeout(timer)
    timer = 0
    const n = now()
    if (!P.length) return
    if (n < hold) return soon(hold - n)
    for (const w of P) if (w.s && n - w.s > 15e3) w.s = 0 // no answer: resend
    if (!t.http_) {
      if (!ws) return connect()
      if (ws.readyState != 1 || (solo && P.some((w) => w.s))) return
    }
    // Nothing goes before ready (ctx.ts); over HTTP an empty batch asks
    // for the consent mode (as a page-exit request: no resend loop).
    if (!ready()) return mode || !t.http_ || post([], 1)
    const l = chunks(
      P.filter((w) => !w.s),
      solo ? 1 : 25e4,
    )
    if (t.http_) return l.length && post(l[0])
    for (const c of solo ? l.slice(0, 1) : l) ws!.send(body(c)), c.forEach((w) => (w.s = n))
  }

  const connect = () => {
    let s: WebSocket
    try {
      s = ws = new WebSocket(wsURL)
    } catch (e) {
      return fail()
    }
    s.onopen = () => {
      ;(opened = 1), (fails = 0), pump()
    }
    s.onmessage = (m) => handle(jp(m.data))
    s.onclose = (c) => {
      if (ws != s) return
      ws = null
      const m = /retry_after_ms\D*(\d+)/.exec(c.reason)
      if (c.code == 1007 || c.code == 1009) refused(P.filter((w) => w.s))
      if (P.length) fail(m ? +m[1] : c.code == 1013 ? 5e3 : 0)
    }
  }

  // post sends one chunk over HTTP; keep marks a page-exit request, whose
  // failure neither backs off nor marks the entries unsent.
  const post = (c: Entry[], keep?: 1) => {
    const b = body(c)
    const ids = c.map((w) => w.e.id)
    const beacon = () => navigator.sendBeacon && navigator.sendBeacon(hURL, b)
    if (!keep) c.forEach((w) => (w.s = now()))
    try {
      fetch(hURL, { method: 'POST', body: b, keepalive: keep as any, credentials: 'omit' })
        .then((r) => {
          if (r.status == 429 || r.status > 499) throw +(r.headers.get('Retry-After') || 0) * 1e3 || 1
          if (r.status == 400 || r.status == 413) return keep || (refused(c), later())
          if (!r.ok) return log(r.status), o.done_(ids)
          fails = 0
          return r.json().then(handle, () => o.done_(ids))
        })
        .then(() => keep || pump())
        .catch((e) => (keep ? typeof e != 'number' && beacon() : fail(+e > 1 ? e : 0)))
    } catch (e) {
      keep && beacon()
    }
  }

  // exit sends what is still unacked in keepalive requests of at most 64 KB
  // (the browser's budget for requests that outlive the page). Entries stay
  // in the outbox until acked.
  const exit = () => {
    for (const c of chunks(
      P.filter((w) => !w.x),
      6e4,
    ))
      c.forEach((w) => (w.x = 1)), post(c, 1)
    o.save_()
  }

  // close drops the WebSocket (the page is entering the back/forward
  // cache); what was in flight is sent again once the page is back.
  const close = () => {
    const s = ws
    ws = null
    s && s.close()
    for (const w of P) w.s = 0
  }

  // flush sends now, ignoring backoff, and resolves true once every event
  // pending at the call is acked or rejected, or false after 10 s. It
  // never throws nor rejects.
  const flush = (): Promise<boolean> => {
    const ids = P.map((w) => w.e.id)
    const t0 = now()
    hold = 0
    try {
      pump()
    } catch (e) {}
    return new Promise((res) => {
      const f = () =>
        !P.some((w) => ids.indexOf(w.e.id) >= 0) ? res(true) : now() - t0 > 1e4 ? res(false) : setTimeout(f, 50)
      f()
    })
  }

  const t = { http_: 0, pump_: pump, exit_: exit, send_: send, flush_: flush, close_: close }
  return t
}
