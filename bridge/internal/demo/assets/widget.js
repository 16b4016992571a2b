// A stand-in for Popin's widget: it calls window.popinEvent like the real one.
(function () {
  var uid = "3ab7634bb5f3a7544fd16ca0e5107b07";
  var events = [
    ["nudge_show", { uid: uid }],
    ["nudge_open", { uid: uid }],
    ["nudge_close", { uid: uid }],
    ["popin_widget_open", { uid: uid }],
    ["popin_screen_change", { uid: uid, screen: "lead_form" }],
    ["popin_permission_given", { uid: uid, audio: true, video: true }],
    ["popin_permission_denied", { uid: uid, audio: false, video: true }],
    ["popin_captured", { uid: uid, name: "Asha Verma", email: "Asha.Verma@Example.com", country: "India", mobile: "98765 43210", city: "Mumbai", pin_code: "400001", group: "sales" }],
    ["popin_auto_captured", { uid: uid, captured: { name: "John Doe", mobile: "9876543210", email: "john@lorem.com" } }],
    ["popin_expert_busy", { uid: uid }],
    ["popin_schedule_created", { uid: uid, timezone: "Asia/Kolkata", time: "2026-11-24 15:30" }],
    ["popin_call_end", { uid: uid, callId: "c-81723", invited: false }],
    ["popin_rating_done", { uid: uid, rating: 5, comment: "Very helpful" }],
    ["popin_widget_close", { uid: uid }]
  ];

  // The customer's own handler, set after the SDK tag as Popin's docs say.
  window.popinEvent = function (event, data) {
    var li = document.createElement("li");
    li.textContent = event + " " + JSON.stringify(data);
    document.getElementById("customer").prepend(li);
  };

  var box = document.getElementById("buttons");
  events.forEach(function (e) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = e[0];
    b.onclick = function () { window.popinEvent(e[0], e[1]); };
    box.appendChild(b);
  });
  var all = document.createElement("button");
  all.type = "button";
  all.textContent = "fire all 14";
  all.onclick = function () { events.forEach(function (e) { window.popinEvent(e[0], e[1]); }); };
  box.appendChild(all);

  document.getElementById("hook").onclick = function () {
    var body = {
      event: "popin_call_successful", user_id: uid, email: "asha.verma@example.com", country_code: "+91",
      phone_number: "9876543210", full_phone_number: "+919876543210", timestamp: new Date().toISOString(),
      properties: { customer_name: "Asha Verma", call_duration: "00:04:12", url: location.href, agent_name: "Ravi", agent_email: "ravi@acme.example", product: "Sofa", meta: { utm_source: "demo" } }
    };
    fetch("/v1/hooks/popin?key=" + encodeURIComponent(document.querySelector('script[data-key]').dataset.key), {
      method: "POST", headers: { "Content-Type": "application/json", "X-API-KEY": this.dataset.key || "." }, body: JSON.stringify(body)
    });
  };

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  function refresh(url, id, row) {
    fetch(url, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (j) {
      var tb = document.getElementById(id);
      tb.textContent = "";
      (j.data || []).slice(0, 30).forEach(function (x) { var tr = document.createElement("tr"); row(tr, x); tb.appendChild(tr); });
    }).catch(function () {});
  }
  function short(v) { var s = typeof v === "string" ? v : JSON.stringify(v); return s.length > 300 ? s.slice(0, 300) + "…" : s; }
  setInterval(function () {
    refresh("/demo/api/events", "events", function (tr, x) { cell(tr, x.received_at); cell(tr, x.name); cell(tr, x.source); cell(tr, short(x.data), "data"); });
    refresh("/demo/api/inspector", "hooks", function (tr, x) { cell(tr, x.at); cell(tr, x.headers["Webhook-Id"] || ""); cell(tr, x.note, /verified/.test(x.note) ? "ok" : "bad"); cell(tr, short(x.body), "data"); });
    refresh("/demo/api/capi", "capi", function (tr, x) { cell(tr, x.at); cell(tr, x.note, /all user_data hashed/.test(x.note) ? "ok" : "bad"); cell(tr, short(x.body), "data"); });
  }, 1000);
})();
