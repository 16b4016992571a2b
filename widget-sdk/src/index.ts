// Entry point of /sdk.js: reads the script tag and starts the SDK. Nothing
// here may throw into the page.
//
//   <script async src="https://HOST/sdk.js" data-key="pk_…"></script>
//   optional: data-endpoint="https://…" data-debug="true" data-pixel-dedup="true"
//   data-tcf="off"
//
// Without data-endpoint, events go to the directory sdk.js was loaded from
// (https://www.site.com/t/pb/sdk.js sends to https://www.site.com/t/pb), so
// a reverse proxy can serve everything under one path prefix.

import { start } from './start'

;(() => {
  try {
    const s = (document.currentScript || document.querySelector('script[data-key]')) as HTMLScriptElement
    const attr = (n: string) => s && s.getAttribute('data-' + n)
    const key = attr('key')
    if (key)
      start(
        key,
        attr('endpoint') || (s.src ? new URL('.', s.src).href : location.origin),
        attr('debug') == 'true',
        attr('pixel-dedup') == 'true',
        attr('tcf') != 'off',
      )
  } catch (e) {}
})()
