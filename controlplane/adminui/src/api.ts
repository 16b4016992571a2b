// Thin client of the management API (/api/v1). The admin token lives in
// sessionStorage only: closing the tab signs out.

const TOKEN_KEY = "bridge.adminToken";

export class APIError extends Error {
  constructor(public status: number, public code: string, message: string, public field?: string) {
    super(message);
  }
}

export function token(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(t: string | null): void {
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: the token lasts for this page only */
  }
}

// readOnly reports whether the session uses a site's read token (brt_…)
// rather than the admin token: only the analytics page is offered then.
export function readOnly(): boolean {
  return (token() || "").startsWith("brt_");
}

let onUnauthorized: () => void = () => {};
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

export async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Authorization: "Bearer " + (token() || "") };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch("/api/v1" + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  if (res.status === 204) return undefined as T;
  let data: any = null;
  try {
    data = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    if (res.status === 401) onUnauthorized();
    throw new APIError(res.status, e.code || "http_" + res.status, e.message || res.statusText, e.field);
  }
  return data as T;
}

export const get = <T = any>(p: string) => call<T>("GET", p);
export const post = <T = any>(p: string, b?: unknown) => call<T>("POST", p, b);
export const patch = <T = any>(p: string, b: unknown) => call<T>("PATCH", p, b);
export const del = (p: string) => call("DELETE", p);

export interface List<T> {
  data: T[];
  next_cursor: string;
}

export interface Endpoint {
  id: string;
  site: string;
  type: string;
  url?: string;
  events: string[];
  auth?: string;
  status: string;
  disabled_reason?: string;
  delivery_error?: string;
  failing_since?: string;
  description?: string;
  filter?: string;
  transform?: string;
  has_secret?: boolean;
  previous_secret_expires_at?: string;
  secret?: string;
  token?: string;
  flow?: Flow | null;
}

// Flow is an endpoint's live flow control on the node that answers.
export interface Flow {
  concurrency: number;
  max_concurrency: number;
  rate_limit: number;
  rate_burst?: number;
  node_rate_limit?: number;
  nodes: number;
  queue_depth: number;
  paused_until?: string;
}

export interface Stats {
  attempts: number;
  success_rate: number;
  p50_ms: number;
  p95_ms: number;
  counts: Record<string, number>;
  last_success_at: string | null;
  series: { start: string; succeeded: number; failed: number; p95_ms: number }[];
}

export interface Delivery {
  delivery_id: string;
  event_id: string;
  event_name: string;
  webhook_id: string;
  attempt: number;
  status_code: number;
  ok: boolean;
  latency_ms: number;
  error: string;
  attempted_at: string;
  test: boolean;
  state?: string;
  request_url?: string;
  request_headers?: Record<string, string>;
  request_body?: string;
  response_body?: string;
  match_keys?: string; // ad-platform attempts: the customer-information keys sent, comma-separated
  trigger?: "first" | "retry" | "manual" | "replay"; // what made the attempt; absent on rows logged before it was recorded
  attempts?: Delivery[];
}

export const enc = encodeURIComponent;
