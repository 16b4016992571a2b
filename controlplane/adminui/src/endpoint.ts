import { get, post, patch, del, List, Endpoint, Delivery, enc } from "./api";
import { h, field, when, status, errorText } from "./dom";
import { healthSection } from "./endpoint_health";
import { flowSection } from "./endpoint_flow";
import { matchKeys } from "./match_keys";
import { typeSpec } from "./endpoint_fields";
import { secretBox } from "./endpoint_create";
import { editForm } from "./endpoint_edit";

export async function endpointPage(el: HTMLElement, id: string): Promise<void> {
  const base = "/endpoints/" + enc(id);
  let ep = await get<Endpoint>(base);
  const msg = h("div", { role: "status", "aria-live": "polite", class: "status" });
  const health = healthSection(base);
  const attemptsBox = h("section", { "aria-labelledby": "attempts-h" });
  const detailBox = h("section", { "aria-live": "polite" });
  const info = h("dl", { class: "facts" });
  const flow = flowSection(() => loadAttempts());

  const renderInfo = () => {
    const x = ep as Endpoint & {
      headers?: Record<string, string>;
      template?: string;
      pixel_id?: string;
      test_event_code?: string;
      oauth2?: { token_url: string; client_id: string } | null;
      tls?: { cert_pem?: string; ca_pem?: string; server_name?: string } | null;
    };
    const tls = [x.tls?.cert_pem ? "client certificate" : "", x.tls?.ca_pem ? "private CA" : "", x.tls?.server_name ? "server name " + x.tls.server_name : ""].filter(Boolean);
    const row = (k: string, v: string | Node) => [h("dt", {}, k), h("dd", {}, v)];
    info.replaceChildren(
      ...row("Status", h("span", { class: "badge " + ep.status }, ep.status)),
      ...(ep.disabled_reason ? row("Reason", ep.disabled_reason) : []),
      ...(ep.delivery_error ? row("Not delivering", ep.delivery_error) : []),
      ...row("Site", ep.site),
      ...row("Type", typeSpec(ep.type).label),
      ...(ep.url ? row("URL", ep.url) : []),
      ...row("Events", ep.events.join(", ")),
      ...(ep.auth ? row("Authentication", ep.auth) : []),
      ...(x.oauth2 ? row("OAuth2", `token from ${x.oauth2.token_url} as client ${x.oauth2.client_id}`) : []),
      ...(tls.length ? row("TLS", tls.join(", ")) : []),
      ...(x.headers && Object.keys(x.headers).length ? row("Custom headers", Object.keys(x.headers).join(", ")) : []),
      ...(x.template ? row("Body template", "custom (see Edit)") : []),
      ...(x.pixel_id ? row("Pixel id", x.pixel_id) : []),
      ...(x.test_event_code ? row("Test event code", x.test_event_code) : []),
      ...(ep.failing_since ? row("Failing since", when(ep.failing_since)) : []),
      ...(ep.previous_secret_expires_at ? row("Previous secret valid until", when(ep.previous_secret_expires_at)) : []),
    );
    pauseBtn.textContent = ep.status === "active" ? "Pause" : ep.status === "paused" ? "Resume" : "Re-enable";
    flow.show(ep.flow);
  };

  const act = async (label: string, f: () => Promise<void>) => {
    status(msg, label + "…", "info");
    try {
      await f();
    } catch (err) {
      status(msg, errorText(err), "error");
    }
  };

  const testBtn = h("button", { type: "button" }, "Send test");
  testBtn.addEventListener("click", () =>
    act("Sending a test event", async () => {
      const a = await post(base + "/test");
      status(
        msg,
        a.ok ? `Test delivered: ${a.status_code} in ${a.latency_ms} ms.` : `Test failed: ${a.status_code || "no answer"} ${a.error || ""}`.trim(),
        a.ok ? "ok" : "error",
      );
      await showTestAttempt(a);
    }),
  );

  // A test send is recorded by the delivery log a moment later: show the
  // answer at once, then reload until the stored attempt is listed.
  const showTestAttempt = async (a: Delivery) => {
    if (!a.delivery_id) return loadAttempts();
    if (!tbody.querySelector(`tr[data-delivery="${CSS.escape(a.delivery_id)}"]`)) {
      tbody.querySelector("tr.none")?.remove();
      tbody.prepend(attemptRow({ ...a, error: a.error || "" }, "", true));
    }
    for (let i = 0; i < 10; i++) {
      await loadAttempts();
      if (tbody.querySelector(`tr[data-delivery="${CSS.escape(a.delivery_id)}"]:not(.pending)`)) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  const overlap = h("input", { name: "overlap", value: "24h", size: 6 }) as HTMLInputElement;
  const rotateBtn = h("button", { type: "button" }, "Rotate secret");
  rotateBtn.addEventListener("click", () =>
    act("Rotating the secret", async () => {
      const r = await post(base + "/rotate-secret", { overlap: overlap.value.trim() || "24h" });
      msg.replaceChildren(
        h("p", {}, `Secret rotated. The previous one keeps signing until ${when(r.previous_expires_at)}.`),
        secretBox("New signing secret", r.secret),
      );
      msg.className = "status ok";
      ep = await get<Endpoint>(base);
      renderInfo();
    }),
  );

  const pauseBtn = h("button", { type: "button" }, "Pause");
  pauseBtn.addEventListener("click", () =>
    act("Changing status", async () => {
      ep = await patch<Endpoint>(base, { status: ep.status === "active" ? "paused" : "active" });
      renderInfo();
      status(msg, `Endpoint is now ${ep.status}.`, "ok");
    }),
  );

  const editBtn = h("button", { type: "button" }, "Edit");
  editBtn.addEventListener("click", () => {
    const form = editForm(ep, (saved) => {
      if (saved) ep = saved;
      renderInfo();
      form.replaceWith(info);
      editBtn.focus();
      if (saved) status(msg, `Endpoint ${ep.id} saved.`, "ok");
    });
    info.replaceWith(form);
    (form.querySelector("input") as HTMLInputElement).focus();
  });

  const since = h("input", { name: "since", value: "24h", size: 8 }) as HTMLInputElement;
  const retryFailedBtn = h("button", { type: "button" }, "Retry failed");
  retryFailedBtn.addEventListener("click", () =>
    act("Queueing retries", async () => {
      const r = await post(`${base}/retry-failed?since=${enc(since.value.trim())}`);
      status(msg, `${r.queued} failed deliveries queued for retry${r.truncated ? " (more remain)" : ""}.`, "ok");
    }),
  );

  const from = h("input", { name: "from", type: "datetime-local" }) as HTMLInputElement;
  const to = h("input", { name: "to", type: "datetime-local" }) as HTMLInputElement;
  const replayBtn = h("button", { type: "button" }, "Replay");
  replayBtn.addEventListener("click", () =>
    act("Replaying stored events", async () => {
      if (!from.value) throw new Error("from: choose the start of the range");
      const body: Record<string, string> = { from: new Date(from.value).toISOString() };
      if (to.value) body.to = new Date(to.value).toISOString();
      const r = await post(base + "/replay", body);
      status(msg, `${r.queued} events queued.${r.warning ? " Note: " + r.warning : ""}`, r.warning ? "info" : "ok");
    }),
  );

  const deleteBtn = h("button", { type: "button", class: "danger" }, "Delete endpoint");
  deleteBtn.addEventListener("click", () =>
    act("Deleting", async () => {
      if (!confirm(`Delete endpoint ${id}?`)) return;
      await del(base);
      location.hash = "#/endpoints";
    }),
  );

  // Attempts log with filters.
  const fStatus = h("select", { name: "status" }, ...[["", "All"], ["ok", "Succeeded"], ["failed", "Failed"]].map(([v, t]) => h("option", { value: v }, t))) as HTMLSelectElement;
  const fEvent = h("input", { name: "event", placeholder: "event name" }) as HTMLInputElement;
  let cursor = "";
  const tbody = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "Older attempts");

  // loadAttempts is the page's refresh: the attempts, and (not when
  // paging) the endpoint's flow.
  const loadAttempts = async (append = false) => {
    if (!append)
      get<Endpoint>(base).then(
        (e) => flow.show(e.flow),
        () => {},
      );
    const q = new URLSearchParams({ limit: "25" });
    if (fStatus.value) q.set("status", fStatus.value);
    if (fEvent.value.trim()) q.set("event", fEvent.value.trim());
    if (append && cursor) q.set("cursor", cursor);
    try {
      const l = await get<List<Delivery>>(`${base}/deliveries?${q}`);
      const pending = append ? [] : [...tbody.querySelectorAll("tr.pending")];
      if (!append) tbody.replaceChildren();
      const kinds = attemptKinds(l.data);
      l.data.forEach((d, i) => tbody.append(attemptRow(d, kinds[i])));
      for (const p of pending) {
        const id = p.getAttribute("data-delivery") || "";
        if (!tbody.querySelector(`tr[data-delivery="${CSS.escape(id)}"]`)) tbody.prepend(p);
      }
      if (!tbody.children.length) tbody.append(h("tr", { class: "none" }, h("td", { colspan: 8 }, "No attempts yet.")));
      cursor = l.next_cursor;
      more.hidden = !cursor;
    } catch (err) {
      tbody.replaceChildren(h("tr", {}, h("td", { colspan: 8 }, "Delivery log unavailable: " + errorText(err))));
    }
  };
  more.addEventListener("click", () => loadAttempts(true));

  const attemptRow = (d: Delivery, kind: string, pending = false) => {
    const details = h("button", { type: "button", "aria-label": `Details of attempt ${d.attempt} of ${d.delivery_id}` }, "Details");
    details.addEventListener("click", () => showDetail(d.delivery_id, d.attempt));
    // A suppressed delivery was never made (the visitor's consent did not
    // allow it): neither a success nor a failure, and never retried.
    const suppressed = d.state === "suppressed";
    const retry = h("button", { type: "button", "aria-label": `Retry ${d.delivery_id}`, disabled: d.test || suppressed }, "Retry");
    retry.addEventListener("click", () =>
      act("Retrying", async () => {
        await post(`/deliveries/${enc(d.delivery_id)}/retry`);
        status(msg, `Delivery ${d.delivery_id} queued for retry.`, "ok");
      }),
    );
    return h(
      "tr",
      { class: (suppressed ? "suppressed" : d.ok ? "ok" : "failed") + (pending ? " pending" : ""), "data-delivery": d.delivery_id },
      h("td", {}, when(d.attempted_at)),
      h("td", {}, d.event_name + (d.test ? " (test)" : ""), kind ? [" ", h("span", { class: "badge kind", title: KIND_HINT[kind] }, kind)] : null),
      h("td", {}, String(d.attempt)),
      h("td", {}, suppressed ? h("span", { class: "badge suppressed", title: "Not sent: the visitor's consent does not allow it. Never retried." }, "suppressed: " + (d.error || "").replace(/^consent: /, "")) : d.ok ? "OK" : "Failed"),
      h("td", {}, d.status_code ? String(d.status_code) : "—"),
      h("td", {}, suppressed ? "—" : d.latency_ms + " ms"),
      h("td", { class: "err" }, suppressed ? "" : d.error || ""),
      h("td", {}, details, " ", retry),
    );
  };

  const showDetail = async (deliveryID: string, attempt: number) => {
    try {
      const d = await get<Delivery>(`/deliveries/${enc(deliveryID)}?attempt=${attempt}`);
      const hdrs = Object.entries(d.request_headers || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
      detailBox.replaceChildren(
        h("h2", { id: "detail-h" }, `Delivery ${d.delivery_id}`),
        h("p", {}, `Attempt ${d.attempt}${d.trigger && d.trigger !== "first" ? ` (${d.trigger})` : ""} at ${when(d.attempted_at)}: ${d.ok ? "succeeded" : "failed"}, status ${d.status_code || "none"}, ${d.latency_ms} ms. Webhook id ${d.webhook_id}.`),
        h("h3", {}, "Request"),
        h("p", {}, "POST " + (d.request_url || "")),
        h("pre", { "aria-label": "Request headers" }, hdrs),
        d.request_body
          ? h("pre", { "aria-label": "Request body" }, pretty(d.request_body))
          : h("p", { class: "note" }, "Request body not kept: the delivery log keeps bodies carrying personal data only for sites with pii: raw (and for test sends)."),
        d.match_keys ? matchKeys(d.match_keys) : "",
        h("h3", {}, "Response"),
        h("pre", { "aria-label": "Response body" }, d.response_body || "(empty response body)"),
        d.error ? h("p", { class: "status error" }, d.error) : "",
      );
      (detailBox.querySelector("h2") as HTMLElement).setAttribute("tabindex", "-1");
      (detailBox.querySelector("h2") as HTMLElement).focus();
    } catch (err) {
      detailBox.replaceChildren(h("p", { class: "status error" }, errorText(err)));
    }
  };

  const filterForm = h("form", { class: "inline", "aria-label": "Filter attempts" }, field("Status", fStatus), field("Event", fEvent), h("button", { type: "submit" }, "Filter"));
  filterForm.addEventListener("submit", (e) => {
    e.preventDefault();
    loadAttempts();
  });
  attemptsBox.replaceChildren(
    h("h2", { id: "attempts-h" }, "Attempts"),
    filterForm,
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        {},
        h("caption", {}, "Delivery attempts, newest first"),
        h("thead", {}, h("tr", {}, ...["Time", "Event", "Attempt", "Result", "Status", "Latency", "Error", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
        tbody,
      ),
    ),
    more,
  );

  renderInfo();
  el.replaceChildren(
    h("p", {}, h("a", { href: "#/endpoints" }, "← Endpoints")),
    h("h1", {}, "Endpoint " + ep.id),
    info,
    h(
      "section",
      { class: "actions", "aria-labelledby": "actions-h" },
      h("h2", { id: "actions-h" }, "Actions"),
      h("div", { class: "row" }, testBtn, pauseBtn, editBtn),
      ep.auth === "signature" ? h("div", { class: "row" }, field("Overlap", overlap, "How long the old secret keeps signing."), rotateBtn) : "",
      h("div", { class: "row" }, field("Failed since", since, "RFC 3339 time or a duration like 24h."), retryFailedBtn),
      h("div", { class: "row" }, field("Replay from", from), field("to", to), replayBtn),
      h("div", { class: "row" }, deleteBtn),
      msg,
    ),
    flow.el,
    health.el,
    attemptsBox,
    detailBox,
  );
  await Promise.all([health.load(), loadAttempts()]);
}

const KIND_HINT: Record<string, string> = {
  retry: "a scheduled retry of this delivery after a failed attempt",
  manual: "a manual retry of this dead delivery",
  replay: "sent again by a replay (attempt numbers start again at 1)",
};

// attemptKinds gives each attempt (newest first) its badge: the recorded
// trigger ("" for a first attempt). Rows logged before the forwarder
// recorded triggers fall back to a guess from the page: "replay" when an
// older attempt of the same delivery in the list has the same or a higher
// number (a replay starts again at 1), "retry" when it is not the first.
function attemptKinds(ds: Delivery[]): string[] {
  const highest = new Map<string, number>();
  const out = new Array<string>(ds.length).fill("");
  for (let i = ds.length - 1; i >= 0; i--) {
    const d = ds[i];
    const prev = highest.get(d.delivery_id);
    if (d.trigger) out[i] = d.trigger === "first" ? "" : d.trigger;
    else out[i] = prev !== undefined && d.attempt <= prev ? "replay" : d.attempt > 1 ? "retry" : "";
    highest.set(d.delivery_id, Math.max(prev || 0, d.attempt));
  }
  return out;
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
