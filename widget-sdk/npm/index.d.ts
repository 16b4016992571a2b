// Declarations of @popinbridge/sdk: init() and the PopinBridge calls of the
// ES module (index.mjs), and the globals window.PopinBridge and
// window.popinEvent that the script tag (sdk.js) and init() install. The
// event payloads (events.d.ts) are generated from the bridge's schemas/.

import type { PopinEventMap } from './events'
export * from './events'

/** Options of {@link init}. */
export interface InitOptions {
  /** The site's public write key (`pk_…`). */
  key: string
  /** The bridge's URL, e.g. `https://bridge.example.com` or a first-party `https://www.site.com/t/pb`. */
  endpoint: string
  /** Log to the console (`[popinbridge] …`). */
  debug?: boolean
  /** Fire the Meta Pixel (`window.fbq`) with the bridge's event id as `eventID`, and the TikTok pixel (`window.ttq`) with it as `event_id`. */
  pixelDedup?: boolean
  /** Read an IAB TCF v2 CMP (`window.__tcfapi`) into `ctx.consent.tcf` (default `true`; `false` is the tag's `data-tcf="off"`). */
  tcf?: boolean
}

/** Consent flags: booleans, or Google Consent Mode's `"granted"` / `"denied"`. */
export type ConsentValue = boolean | 'granted' | 'denied'
export interface Consent {
  ads?: ConsentValue
  analytics?: ConsentValue
  functional?: ConsentValue
  ad_storage?: ConsentValue
  ad_user_data?: ConsentValue
  analytics_storage?: ConsentValue
  functionality_storage?: ConsentValue
  /** An IAB TCF v2 TC string (the bridge decodes its purposes); the SDK's CMP adapter sets it. */
  tcf?: string
  [flag: string]: ConsentValue | string | undefined
}

/** What {@link PopinBridgeAPI.stats} reports. */
export interface Stats {
  /** Events not yet acked or rejected. */
  pending: number
  /** Events dropped because the outbox was full. */
  dropped: number
  /** 1 once the SDK sends over HTTP because WebSockets seem blocked. */
  http: number
  /** The site's consent_mode as the bridge announced it; "" until then (absent before init). */
  mode?: string
}

/** `window.PopinBridge` once the SDK runs. */
export interface PopinBridgeAPI {
  readonly v: 1
  /** Merges consent flags, sent in `ctx.consent` of later events. */
  consent(flags: Consent): void
  /** Stamps this and later events with `ctx.user_id` and sends an `identify` event; `null` forgets the id. */
  identify(userId: string | number | null, traits?: Record<string, unknown>): void
  /** Sends a custom event (source `custom`). */
  track(name: string, data?: Record<string, unknown>): void
  /** Sends now; resolves true once every pending event is acked or rejected, false after 10 s. */
  flush(): Promise<boolean>
  /** Console logging on (default) or off. */
  debug(on?: boolean): void
  stats(): Stats
}

/** `window.PopinBridge` before the SDK has loaded (the inline stub): calls are queued and replayed. */
export interface PopinBridgeStub {
  q: unknown[]
  consent(flags: Consent): Promise<unknown>
  identify(userId: string | number | null, traits?: Record<string, unknown>): Promise<unknown>
  track(name: string, data?: Record<string, unknown>): Promise<unknown>
  flush(): Promise<boolean>
}

/** A known browser event name of Popin's widget (aliases included). */
export type PopinEventName = keyof PopinEventMap

/** The arguments of one `window.popinEvent(name, data)` call, narrowed by name. */
export type PopinEventArgs = { [K in PopinEventName]: [event: K, data: PopinEventMap[K]] }[PopinEventName]

/** The site's `window.popinEvent` handler, which Popin's widget calls. */
export type PopinEventHandler = (...args: PopinEventArgs) => unknown

declare global {
  interface Window {
    PopinBridge?: PopinBridgeAPI | PopinBridgeStub
    popinEvent?: PopinEventHandler
  }
}

/**
 * Starts the SDK (once per page): hooks `window.popinEvent`, installs
 * `window.PopinBridge` and replays calls made before. Does nothing outside a browser.
 */
export declare function init(options: InitOptions): void
/** {@link PopinBridgeAPI.consent}; before {@link init}, queued (the Promise settles once replayed). */
export declare function consent(flags: Consent): void | Promise<unknown>
/** {@link PopinBridgeAPI.identify}; before {@link init}, queued. */
export declare function identify(userId: string | number | null, traits?: Record<string, unknown>): void | Promise<unknown>
/** {@link PopinBridgeAPI.track}; before {@link init}, queued. */
export declare function track(name: string, data?: Record<string, unknown>): void | Promise<unknown>
/** {@link PopinBridgeAPI.flush}; before {@link init}, settles once the SDK has run it. */
export declare function flush(): Promise<boolean>
/** {@link PopinBridgeAPI.debug}; before {@link init}, queued. */
export declare function debug(on?: boolean): void | Promise<unknown>
/** {@link PopinBridgeAPI.stats}; zeros before {@link init}. */
export declare function stats(): Stats
