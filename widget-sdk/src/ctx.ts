// Identity and page context attached to every event: session id, anonymous
// id, the site's user id, URL, referrer, title, UTM parameters, Meta's
// fbp/fbc, GA4's client id and consent.

import { allow, cookie, get, jp, now, set, uuid } from './util'

export const PFX = 'popinbridge:v1:'
const SID = PFX + 'sid'
const AID = PFX + 'aid'
const FBC = PFX + 'fbc'
const CONSENT = PFX + 'consent'
const USER = PFX + 'user'
const MODE = PFX + 'mode'

// The session lives in sessionStorage as "id|last-activity-ms" and ends after
// 30 minutes without events. The memory copy keeps it when storage is off.
let ses: string[]

export const sid = (): string => {
  const t = now()
  if (!ses[0] || t - +ses[1] > 18e5) ses[0] = uuid()
  ses[1] = '' + t
  set(SID, ses.join('|'), 1)
  return ses[0]
}

// The anonymous id is first-party: localStorage, mirrored in the _pbaid cookie
// so that either one can restore the other. Set by init.
export let aid = ''

// consent is the site's consent state, set by PopinBridge.consent and kept
// across pages: booleans, and an IAB TCF v2 TC string under "tcf" (the
// bridge decodes its purposes). Ingest also reads Google Consent Mode
// "granted"/"denied" strings and ignores any other value.
export let consent: Record<string, any>

// setConsent records the site's consent choices: booleans, or Google
// Consent Mode "granted"/"denied" (any case); other values are ignored, so
// a "denied" is never read as true. "tcf" (a TC string) is kept as given.
export const setConsent = (o: any) => {
  for (const k in o) {
    const v = o[k], s = typeof v == "string" ? v.toLowerCase() : v
    if (s === true || s == "granted") consent[k] = true
    else if (s === false || s == "denied") consent[k] = false
    else if (k == 'tcf') consent[k] = v
  }
  set(CONSENT, JSON.stringify(consent))
  setUser(user)
  check()
}

// mode is the site's consent_mode as the bridge announced it, on this page
// or (kept in storage once that is allowed) on an earlier one; '' until
// then. Anything but opt_out counts as opt_in. Only the bridge sets it.
export let mode = ''
export const setMode = (m: string) => ((mode = m), set(MODE, m), check())

// known reports whether the consent state is known: consent called, or
// kept from an earlier page ('{"…' < '{}': the object is not empty).
export const known = () => JSON.stringify(consent) < '{}'

// ready reports whether events may be sent: on opt_out sites at once, on
// opt_in sites once the consent state is known. Until then they wait in
// memory (page exit sends them, consent unknown).
export const ready = () => mode == 'opt_out' || (mode && known())

// check opens the storage gate (util.ts) once the mode is known and allows
// it: opt_out, or analytics or functional storage granted. Until then the
// anonymous id, session, consent, user and outbox live in memory only.
const check = () => {
  if (mode == 'opt_out' || (mode && has(true, STORE))) allow(), cookie('_pbaid', aid)
}

// has reports whether consent sets any of keys to v.
const has = (v: boolean, keys: string[]) => keys.some((k) => consent[k] === v)
// STORE: the purposes that allow storage (bridge's and Consent Mode's names).
const STORE = ['analytics', 'analytics_storage', 'functional', 'functionality_storage']

// user is the site's own id for the visitor, from PopinBridge.identify, sent
// as ctx.user_id. It is kept in localStorage for later pages only while the
// site has not denied analytics or functional storage (also as Consent
// Mode's analytics_storage / functionality_storage); otherwise it stamps
// this page's events only, and a denial removes the stored copy.
export let user = ''

const keep = () => !has(false, STORE)

// setUser sets the user id; null, undefined or "" forget it.
export const setUser = (id: any) => {
  user = id == null ? '' : '' + id
  set(USER, user && keep() ? user : null)
}

// ads reports whether advertising use is allowed: true unless the site
// denied it (ads, or Consent Mode's ad_storage / ad_user_data). Without it
// the SDK sends no fbp/fbc and fires no pixel event.
export const ads = () => !has(false, ['ads', 'ad_storage', 'ad_user_data'])

const utm: Record<string, string> = {}

// init reads the stored state and the landing URL. It runs once, from main,
// so that nothing happens on a page whose tag has no key.
export const init = () => {
  ses = (get(SID, 1) || '|0').split('|')
  consent = jp(get(CONSENT)) || {}
  setUser(get(USER))
  aid = get(AID) || cookie('_pbaid') || uuid()
  set(AID, aid)
  mode = get(MODE) || ''
  check()
  const q = new URLSearchParams(location.search)
  for (const k of 'utm_source utm_medium utm_campaign utm_term utm_content'.split(' ')) {
    const v = q.get(k)
    if (v) utm[k] = v
  }
  // A landing URL with ?fbclid= gives fbc = fb.1.<ms>.<fbclid> (fbclid case
  // preserved). It is kept so later pages and reloads send the same value.
  const click = q.get('fbclid')
  if (click && !(get(FBC) || '').endsWith('.' + click)) set(FBC, 'fb.1.' + now() + '.' + click)
}

export const ctx = () => {
  const a = ads()
  return {
    url: location.href,
    ref: document.referrer,
    title: document.title,
    utm,
    fbp: a ? cookie('_fbp') : '',
    fbc: a ? get(FBC) || cookie('_fbc') : '',
    consent,
    user_id: user,
    // GA4's client id: the _ga cookie GA1.1.<random>.<seconds> without its
    // version prefix ("" without the cookie).
    ga_client_id: cookie('_ga').split('.').slice(-2).join('.'),
  }
}
