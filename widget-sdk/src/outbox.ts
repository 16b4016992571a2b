// The outbox: every captured event stays here until the server acks or
// rejects it. It lives in memory and, per page, under its own localStorage
// key popinbridge:v1:<key>:outbox:<page-id> as {"x": lease-expiry-ms, "e":
// [events]}. A page renews its lease while it has events; on pagehide it
// releases it (x = 0). A page whose lease has expired is gone, and any page
// of the same site adopts its events, under a short lock so that two tabs do
// not both take (and send) the same entries.

import { get, jp, now, set, uuid } from './util'

// An entry: e is the event, s the time it was last sent (0: not in flight),
// x set once it went out in a page-exit request during this hidden period.
export type Entry = { e: any; s: number; x?: number }

export const CAP = 500 // events per page outbox; the oldest are dropped
const LEASE = 2e4

export function outbox(key: string, log: (...a: any[]) => void) {
  const pfx = 'popinbridge:v1:' + key + ':'
  const OB = pfx + 'outbox:'
  const me = OB + uuid()
  const LOCK = pfx + 'lock'
  const P: Entry[] = []
  // gone is set from pagehide until pageshow: the page is leaving, so its
  // lease is released (x = 0) for the next page to adopt at once.
  const o = { P, dropped: 0, gone: 0, save, add, done, adopt, back }

  // save writes this page's entries with a lease ending now + LEASE, or
  // released when the page is gone; an empty outbox removes the key.
  function save() {
    set(me, P.length ? JSON.stringify({ x: o.gone ? 0 : now() + LEASE, e: P.map((w) => w.e) }) : null)
  }

  // add merges events, deduplicated by id, oldest first, capped at CAP. The
  // write to storage waits for the end of the task, so that a burst costs one
  // write (pagehide writes synchronously anyway).
  let due: any = 0
  function add(evs: any[]) {
    for (const e of evs) if (e && e.id && !P.some((w) => w.e.id == e.id)) P.push({ e, s: 0 })
    P.sort((a, b) => a.e.ts - b.e.ts)
    const n = P.length - CAP
    if (n > 0) (o.dropped += n), P.splice(0, n), log('dropped', n)
    due = due || setTimeout(() => ((due = 0), save()))
  }

  // done removes the events the server acked or rejected (ids or {id}).
  function done(l: any) {
    if (!l || !l.length) return
    const ids = l.map((x: any) => (x && x.id) || x)
    for (let i = P.length; i--; ) if (ids.indexOf(P[i].e.id) >= 0) P.splice(i, 1)
    save()
  }

  // back is called when the page comes back from the back/forward cache:
  // if its released outbox was adopted by another page meanwhile (its key
  // is gone), that page sends those events and this one forgets them.
  function back() {
    if (!get(me)) P.length = 0
    save()
  }

  // orphans lists the outbox keys of other pages whose lease has expired.
  function orphans() {
    const r: string[] = []
    try {
      for (let i = 0; i < localStorage.length; i++) {
        const k = localStorage.key(i) || ''
        if (!k.indexOf(OB) && k != me && !((jp(get(k)) || {}).x > now())) r.push(k)
      }
    } catch (e) {}
    return r
  }

  // adopt takes over orphaned outboxes. It writes the lock, waits, and
  // proceeds only if the lock still names this page, so that of two tabs
  // racing for it only one adopts; then it calls then().
  function adopt(then: () => void) {
    const l = (get(LOCK) || '').split('|')
    if ((l[0] && l[0] != me && +l[1] > now()) || !orphans().length) return
    set(LOCK, me + '|' + (now() + 5e3))
    setTimeout(() => {
      if ((get(LOCK) || '').split('|')[0] != me) return
      for (const k of orphans()) {
        const v = jp(get(k))
        set(k, null)
        if (v && v.e) add(v.e), log('adopted', v.e.length)
      }
      set(LOCK, null)
      then()
    }, 150)
  }

  return o
}
