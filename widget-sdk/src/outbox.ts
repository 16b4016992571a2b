// The outbox: every captured event stays here until the server acks or
// rejects it. It lives in memory and, per page, under its own localStorage
// key popinbridge:v1:<key>:outbox:<page-id> as {"x": lease-expiry-ms, "e":
// [events]}. A page renews its lease while it has events; on pagehide it
// releases it (x = 0). A page that is gone (lease expired and, with Web
// Locks, its page lock free) has its events adopted by another page of the
// site, under the site's adoption lock, so that two tabs do not both take
// (and send) the same entries. widget-sdk/README.md explains the design.

import { PFX } from './ctx'
import { get, jp, now, on, set, uuid } from './util'

// An entry: e is the event, s the time it was last sent (0: not in flight),
// x set once it went out in a page-exit request during this hidden period.
export type Entry = { e: any; s: number; x?: number }

export const CAP = 500 // events per page outbox; the oldest are dropped
const LEASE = 2e4

export function outbox(key: string, log: (...a: any[]) => void) {
  const pfx = PFX + key + ':'
  const OB = pfx + 'outbox:'
  const me = OB + uuid()
  const LOCK = pfx + 'lock'
  const P: Entry[] = []

  // save writes this page's entries with a lease ending now + LEASE, or
  // released when the page is gone; an empty outbox removes the key.
  const save = () => {
    set(me, P.length ? JSON.stringify({ x: o.gone_ ? 0 : now() + LEASE, e: P.map((w) => w.e) }) : null)
  }

  // add merges events, deduplicated by id, oldest first, capped at CAP. The
  // write to storage waits for the end of the task, so that a burst costs one
  // write (pagehide writes synchronously anyway).
  let due: any = 0
  const add = (evs: any[]) => {
    for (const e of evs) if (e && e.id && !P.some((w) => w.e.id == e.id)) P.push({ e, s: 0 })
    P.sort((a, b) => a.e.ts - b.e.ts)
    const n = P.length - CAP
    if (n > 0) (o.dropped_ += n), P.splice(0, n)
    due = due || setTimeout(() => ((due = 0), save()))
  }

  // done removes the events the server acked or rejected (ids or {id}).
  const done = (l: any) => {
    if (!l || !l.length) return
    const ids = l.map((x: any) => (x && x.id) || x)
    for (let i = P.length; i--; ) if (ids.indexOf(P[i].e.id) >= 0) P.splice(i, 1)
    save()
  }

  // Liveness: with Web Locks each page holds the lock named after its
  // outbox key while it lives (released on pagehide, so that the page can
  // enter the back/forward cache; the browser releases it when the page
  // dies). An outbox is an orphan when its lease has expired and, with Web
  // Locks, nobody holds its lock: a live page whose timers were throttled
  // past its lease is not adopted. Without Web Locks the lease alone decides.
  const L = (navigator as any).locks
  let free: any
  const hold = () => L && L.request(me, () => new Promise((r) => (free = r))).catch(log)
  hold()
  // n is how many entries the page held when it let go of its lock
  // (release_, on pagehide): back forgets only those.
  let n: any

  // mutex runs f under the site's adoption lock, an exclusive Web Lock
  // (skipped when another page holds it, unless wait). Without Web Locks f
  // runs at once: two tabs may then adopt the same orphan and both send its
  // events, which the server stores once (deduplicated by id).
  const mutex = (f: (held: string[]) => void, wait?: 1) => {
    if (!L) return f([])
    L.request(LOCK, wait ? {} : { ifAvailable: true }, (l: any) =>
      l && L.query().then((q: any) => f(q.held.map((x: any) => x.name))),
    ).catch(log)
  }

  // back is called when the page comes back from the back/forward cache,
  // under the adoption lock: if its released outbox was adopted by another
  // page meanwhile (its key is gone), that page sends those events and this
  // one forgets them (not the ones captured since the restore). Then it takes its lock again and calls then().
  const back = (then: () => void) => {
    mutex(() => {
      if (!get(me)) P.splice(0, n)
      save(), hold(), then()
    }, 1)
  }

  // orphans lists the outbox keys of other pages whose lease has expired
  // and whose lock is not in held.
  const orphans = (held: string[]) => {
    const r: string[] = []
    try {
      for (const k of Object.keys(localStorage))
        if (!k.indexOf(OB) && k != me && !((jp(get(k)) || {}).x > now()) && held.indexOf(k) < 0) r.push(k)
    } catch (e) {}
    return r
  }

  // adopt takes over orphaned outboxes under the adoption lock, then calls
  // then(); not before this page may write storage (util.ts), as removing
  // an orphan's key is a write.
  const adopt = (then: () => void) => {
    if (on && orphans([]).length)
      mutex((held) => {
        for (const k of orphans(held)) {
          const v = jp(get(k))
          set(k, null)
          if (v && v.e) add(v.e)
        }
        then()
      })
  }

  // gone is set from pagehide until pageshow: the page is leaving, so its
  // lease is released (x = 0) for the next page to adopt at once.
  const o: any = {
    P_: P,
    dropped_: 0,
    gone_: 0,
    save_: save,
    add_: add,
    done_: done,
    adopt_: adopt,
    back_: back,
    // release_ lets go of the page's lock (pagehide).
    release_: () => ((n = P.length), free && free()),
  }
  return o
}
