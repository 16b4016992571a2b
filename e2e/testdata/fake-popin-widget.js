// A stand-in for Popin's widget.js (https://widget01.popin.to/js/widget.js)
// for the browser tests. Like the real one it defines popInWidgetInit and
// Popin, and reports what the visitor does through window.popinEvent(event,
// data). It fires all 14 browser events with realistic payloads
// (shared/reference/popin-events.md), each in its own task like real user
// actions, or all at once with fire({burst: true}).
//
// Every call is recorded in fakePopin.sent as [name, data, this], so a test
// can check that the site's handler saw the same arguments and this.
(function () {
  var uid = '3ab7634bb5f3a7544fd16ca0e5107b07';
  function events() {
    return [
      ['nudge_show', { uid: uid }],
      ['nudge_open', { uid: uid }],
      ['popin_widget_open', { uid: uid }],
      ['popin_screen_change', { uid: uid, screen: 'permission' }],
      ['popin_permission_denied', { uid: uid, audio: false, video: false }],
      ['popin_permission_given', { uid: uid, audio: true, video: true }],
      ['popin_expert_busy', { uid: uid }],
      ['popin_captured', { name: 'Asha Rao', email: 'asha@example.com', country: '+91', mobile: '9876543210', city: 'Bengaluru', pin_code: '560001', group: 'Sales', uid: uid }],
      ['popin_auto_captured', { uid: uid, captured: { name: 'John Doe', mobile: '9876543210', email: 'john@example.com' } }],
      ['popin_schedule_created', { uid: uid, timezone: 'Asia/Kolkata', time: '27-Feb-2026 09:30 PM' }],
      ['popin_call_end', { uid: uid, callId: 'c-7f3a9e', invited: false }],
      ['popin_rating_done', { uid: uid, rating: 5, comment: 'Très utile — thanks! 👍' }],
      ['popin_widget_close', { uid: uid }],
      ['nudge_close', { uid: uid }]
    ];
  }

  var fp = (window.fakePopin = { sent: [], fired: 0, token: null });

  // call invokes window.popinEvent the way a widget would. Every other call
  // uses a different this, so that the tests can check it is passed through.
  function call(ev) {
    var self = fp.sent.length % 2 ? fp : window;
    fp.sent.push([ev[0], ev[1], self]);
    fp.fired++;
    var fn = fp.cached || window.popinEvent;
    if (typeof fn === 'function') fn.call(self, ev[0], ev[1]);
  }

  // fire sends the 14 events. opts.burst: all in one task; otherwise one per
  // task, gap ms apart. Returns a promise resolved after the last one.
  fp.fire = function (opts) {
    opts = opts || {};
    var list = events();
    if (opts.burst) {
      list.forEach(call);
      return Promise.resolve(list.length);
    }
    return new Promise(function (resolve) {
      var i = 0;
      (function next() {
        if (i === list.length) return resolve(list.length);
        var ev = list[i++];
        setTimeout(function () {
          next();
          call(ev); // may throw (the site's handler): the chain goes on
        }, opts.gap || 0);
      })();
    });
  };

  // With window.fakePopinCache set, the widget keeps the handler it finds at
  // init instead of looking window.popinEvent up on every call.
  window.popInWidgetInit = function (opts) {
    fp.token = opts && opts.token;
    if (window.fakePopinCache) fp.cached = window.popinEvent;
    if (!window.fakePopinManual) fp.fire({ gap: 5 });
  };
  window.Popin = function () {};
})();
