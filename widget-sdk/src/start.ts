// start runs the SDK once per page: it installs the popinEvent hook and the
// window.PopinBridge API and wires capture to the outbox and the transport.
// Both entries call it: the script tag (index.ts) and init() of the npm
// package (esm.ts). A second call returns the running API. Nothing here may
// throw into the page; the callers catch what start itself throws.

import { aid, ads, consent, ctx, init, known, mode, setConsent, setUser, sid, user } from './ctx'
import { install } from './hook'
import { outbox } from './outbox'
import { transport } from './transport'
import { get, now, uuid } from './util'

// Meta Pixel events fired with our event id (eventID) for deduplication with
// the Conversions API, when pixel dedup is on; the TikTok pixel (ttq) gets
// the same id (event_id) under TikTok's name, for the Events API.
const PIXEL: Record<string, string[]> = {
  popin_captured: ['Lead', 'SubmitForm'],
  popin_schedule_created: ['Schedule', 'Schedule'],
  popin_call_end: ['Contact', 'Contact'],
}

const MAX = 32e3 // bytes per event (the collector's default limit is 32 KB)

// start: key is the site's write key, base the endpoint's URL (a path
// prefix is kept: base + "/v1/ws"), dbg turns console logging on, pixel
// fires the Meta Pixel with our event ids, tcf reads an IAB TCF CMP.
export function start(key: string, base: string, dbg: boolean, pixel: boolean, tcf: boolean) {
  const w = window as any
  if ((w.PopinBridge || 0).v) return w.PopinBridge
  base = base.replace(/\/+$/, '')
  init()
  let debug = dbg || get('popinbridge:debug') == '1'
  const log = (...a: any[]) => {
    if (debug) console.log('[popinbridge]', ...a)
  }
  const o = outbox(key, log)
  const t = transport(base, key, o, log)
  let seq = 0

  // cap builds one event (CONTRACT §5) and queues it; src "custom" marks
  // events sent by the site with track/identify.
  const cap = (name: any, data: any, src?: string) => {
    if (!name || name !== '' + name) return // a non-empty string only
    const e: any = {
      id: uuid(),
      name,
      ts: now(),
      seq: ++seq,
      sid: sid(),
      aid,
      data: data && typeof data == 'object' ? data : data == null ? {} : { value: data },
      ctx: ctx(),
    }
    if (src) e.src = src
    const j = JSON.stringify(e) // also a snapshot: later changes to data do not leak in
    if (j.length > MAX) return log(name) // too large: logged by name only
    // An event captured before the consent state is known (held on opt_in
    // sites, ctx.ts ready) carries the live state until it is stored or
    // sent: it goes with what consent() sets meanwhile.
    const x = JSON.parse(j)
    known() || (x.ctx.consent = consent)
    o.add_([x])
    t.send_()
    log(name, e)
    const p = !src && pixel && PIXEL[name] && ads() && PIXEL[name]
    if (p && w.fbq) w.fbq('track', p[0], {}, { eventID: e.id })
    if (p && w.ttq) w.ttq.track(p[1], {}, { event_id: e.id })
  }

  // safe wraps an API function so that nothing it does reaches the page.
  const safe =
    (f: (...a: any[]) => any) =>
    (...a: any[]) => {
      try {
        return f(...a)
      } catch (e) {
        log(e)
      }
    }

  const early = w.PopinBridge
  const api = (w.PopinBridge = {
    v: 1,
    consent: safe((c: any) => (setConsent(c), t.pump_())),
    // identify stamps this and later events with the user id; a null id
    // forgets it (no event).
    identify: safe((id: any, traits?: any) => (setUser(id), user && cap('identify', { user_id: user, traits: traits || {} }, 'custom'))),
    track: safe((n: any, d?: any) => cap(n, d, 'custom')),
    flush: t.flush_,
    debug: (on?: boolean) => (debug = on !== false),
    stats: () => ({ pending: o.P_.length, dropped: o.dropped_, http: t.http_, mode }),
  } as any)

  // Calls queued by the inline stub before the SDK ran ([name, arguments,
  // resolve]) are replayed in order, before the widget's queued events so
  // that consent and identify apply to those; a stub method kept by a
  // caller still reaches the API through the queue's push.
  const run = safe((c: any) => c[2](api[c[0]](...c[1])))
  const q = (early && early.q) || []
  q.forEach(run)
  q.push = run

  // The IAB TCF v2 CMP adapter: once window.__tcfapi exists (checked now
  // and every second for 10 s, as CMPs load async), each tcloaded and
  // useractioncomplete passes the TC string and gdprApplies to consent
  // (ctx.consent.tcf and .gdpr); the bridge decodes the purposes.
  let n = 11
  const cmp = safe(() =>
    w.__tcfapi
      ? w.__tcfapi('addEventListener', 2, (d: any, ok: any) => ok && d.eventStatus != 'cmpuishown' && api.consent({ tcf: d.tcString, gdpr: d.gdprApplies }))
      : --n && setTimeout(cmp, 1e3),
  )
  tcf && cmp()

  install(cap)
  const adopt = () => o.adopt_(t.pump_)
  adopt()
  setInterval(
    safe(() => {
      if (o.P_.length) o.save_(), t.pump_()
      adopt()
    }),
    5e3,
  )
  // No unload/beforeunload handler: either keeps the page out of the
  // back/forward cache. A page that may enter it closes its WebSocket (an
  // open one can keep it out too); restored, it takes its outbox back
  // unless another page adopted it meanwhile, and reconnects.
  addEventListener('pagehide', safe((e: any) => ((o.gone_ = 1), t.exit_(), o.release_(), e.persisted && t.close_())))
  addEventListener('pageshow', safe((e: any) => ((o.gone_ = 0), e.persisted && o.back_(t.pump_))))
  addEventListener('online', safe(t.flush_))
  document.addEventListener(
    'visibilitychange',
    safe(() => (document.visibilityState == 'hidden' ? t.exit_() : o.P_.forEach((e: any) => (e.x = 0)))),
  )
  return api
}
