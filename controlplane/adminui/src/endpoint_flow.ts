// The endpoint page's Flow panel: the live flow control of the node that
// answers (GET /api/v1/endpoints/{id} "flow"): concurrency now against the
// configured one, the rate limit and this node's share, the queue, and a
// Retry-After pause counting down.
import { Flow } from "./api";
import { h, when } from "./dom";

const num = (x: number) => String(Math.round(x * 100) / 100);

// countdown says how long until t: "in 1 min 05 s", or "" once past.
export function countdown(t: number, now = Date.now()): string {
  const s = Math.ceil((t - now) / 1000);
  if (s <= 0) return "";
  const m = Math.floor(s / 60);
  return "in " + (m ? `${m} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`);
}

// flowSection shows a flow; its Refresh button calls reload (the page's
// refresh, which shows the flow again).
export function flowSection(reload: () => void): { el: HTMLElement; show(f: Flow | null | undefined): void } {
  const body = h("div");
  const again = h("button", { type: "button", "aria-label": "Refresh flow" }, "Refresh");
  again.addEventListener("click", reload);
  const el = h("section", { class: "flow", "aria-labelledby": "flow-h" }, h("div", { class: "row" }, h("h2", { id: "flow-h" }, "Flow"), again), body);
  let timer = 0;
  const show = (f: Flow | null | undefined) => {
    clearInterval(timer);
    if (!f) {
      body.replaceChildren(h("p", { class: "note" }, "No flow state here: this node does not deliver to the endpoint (it is paused, disabled, or delivered by other nodes)."));
      return;
    }
    const row = (k: string, v: string | Node) => [h("dt", {}, k), h("dd", {}, v)];
    const lowered = f.concurrency < f.max_concurrency;
    const rate = f.rate_limit
      ? `${num(f.rate_limit)}/s across the cluster${f.rate_burst ? ", burst " + f.rate_burst : ""}; this node's share ${num(f.node_rate_limit || f.rate_limit)}/s`
      : "unlimited";
    const paused = h("dd", { class: "paused-until" });
    const facts = h(
      "dl",
      { class: "facts" },
      ...row("Concurrency", `${f.concurrency} of ${f.max_concurrency} configured${lowered ? " (lowered after 429 answers; recovers with successes)" : ""}`),
      ...row("Rate limit", rate),
      ...row("Forwarder nodes", String(f.nodes)),
      ...row("Queue depth", `${f.queue_depth} waiting or in flight`),
      h("dt", {}, "Paused until"),
      paused,
    );
    const until = f.paused_until ? Date.parse(f.paused_until) : NaN;
    const tick = () => {
      const left = isNaN(until) ? "" : countdown(until);
      paused.textContent = left ? `${when(f.paused_until)} (${left})` : "not paused";
      if (!left || !el.isConnected) clearInterval(timer);
    };
    tick();
    if (!isNaN(until) && until > Date.now()) timer = window.setInterval(tick, 1000);
    body.replaceChildren(
      facts,
      h(
        "p",
        { class: "note" },
        "Paused means the receiver answered 429 (too many requests) or 503 (unavailable) with Retry-After: bridge sends nothing to it until then, and the deliveries wait in the queue.",
      ),
    );
  };
  return { el, show };
}
