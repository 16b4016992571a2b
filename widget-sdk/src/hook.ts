// The window.popinEvent hook. Popin's widget calls window.popinEvent(event,
// data); the site may assign its own handler there before or after this SDK
// runs. An accessor property keeps us first in line either way: reads return
// our wrapper, writes replace the site's handler that the wrapper calls.

// install captures every call with cap (first, errors swallowed) and then
// calls the site's handler with the same this and arguments; the handler's
// return value and exceptions reach the caller unchanged. Calls queued by the
// inline stub (README) are replayed to cap only: the site's handler has seen
// them already, or did not exist yet. A widget that kept a reference to the
// stub from before the SDK ran still gets captured through the stub's queue.
export function install(cap: (name: any, data: any) => void) {
  const w = window as any
  const prev = w.popinEvent
  // prev is the accessor stub (h returns the site's handler), the plain
  // queue stub (q only), or the site's own handler.
  const q: any[] = (prev && prev.q) || []
  let user: any = prev && (prev.h ? prev.h() : prev.q ? 0 : prev)
  // c captures one call's arguments; nothing it does escapes.
  const c = (a: any) => {
    try {
      cap(a[0], a[1])
    } catch (e) {}
    return 0
  }
  const f = function (this: any) {
    c(arguments)
    if (typeof user == 'function') return user.apply(this, arguments)
  }
  try {
    Object.defineProperty(w, 'popinEvent', {
      configurable: true,
      get: () => f,
      set: (v) => {
        if (v != f && v != prev) user = v
      },
    })
  } catch (e) {
    w.popinEvent = f
  }
  q.forEach(c)
  // A caller that kept a reference to a stub still reaches capture: the
  // stubs push onto q (or onto our f.q), and push now captures.
  ;(f as any).q = q
  q.push = c
}
