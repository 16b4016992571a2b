// Small helpers shared by the SDK: time, storage that never throws, cookies,
// JSON parsing that never throws, and UUID v4.

export const now = Date.now

// The storage gate: until allow() (ctx.ts: the bridge announced the site's
// consent mode and it allows storage) writes stay in W, in memory, as
// [value, ses], and get reads W first; allow() then writes them out.
let W: Record<string, any> = {}
export let on = 0
export const allow = () => {
  on = 1
  for (const k in W) set(k, ...(W[k] as [string, 1]))
  W = {}
}

// get reads a key from localStorage (or sessionStorage when ses is set).
// Storage can be missing or throw (private modes, sandboxed iframes, quota):
// every access is wrapped so that the SDK keeps working in memory.
export const get = (k: string, ses?: 1): string | null => {
  if (k in W) return W[k][0]
  try {
    return (ses ? sessionStorage : localStorage).getItem(k)
  } catch (e) {
    return null
  }
}

// set writes a key, or removes it when v is null.
export const set = (k: string, v: string | null, ses?: 1) => {
  if (!on) return void (W[k] = [v, ses])
  try {
    const s = ses ? sessionStorage : localStorage
    v == null ? s.removeItem(k) : s.setItem(k, v)
  } catch (e) {}
}

// jp parses JSON and answers undefined for anything that is not JSON.
export const jp = (s: any): any => {
  try {
    return JSON.parse(s)
  } catch (e) {}
}

// cookie returns the raw value of a first-party cookie, or "". With v it
// writes the cookie instead. Sandboxed documents throw on both.
export const cookie = (n: string, v?: string): string => {
  try {
    if (v) document.cookie = n + '=' + v + ';path=/;max-age=31536000;samesite=lax'
    const m = document.cookie.match('(?:^|; )' + n + '=([^;]*)')
    return m ? m[1] : ''
  } catch (e) {
    return ''
  }
}

// uuid returns a random UUID v4: crypto.randomUUID where the browser has it
// (secure contexts), else built from crypto.getRandomValues.
export const uuid = (): string => {
  const c: any = crypto
  if (c.randomUUID) return c.randomUUID()
  // Else one random byte for each hex digit of the v4 template (x: any
  // digit, y: the variant's 8, 9, a or b).
  const b = c.getRandomValues(new Uint8Array(31))
  let i = 0
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (y: string) => (y > 'x' ? (b[i++] & 3) | 8 : b[i++] & 15).toString(16))
}
