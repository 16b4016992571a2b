// Reads [{"field": "em", "value": "..."}] on stdin and prints, for each, the
// hash Meta's Node SDK computes with ServerSideUtils.normalizeAndHash (or
// "ERROR: ..." when the SDK refuses the value).
const { ServerSideUtils } = require('facebook-nodejs-business-sdk');
let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(({ field, value }) => {
    try { return ServerSideUtils.normalizeAndHash(value, field); } catch (e) { return 'ERROR: ' + e.message; }
  });
  process.stdout.write(JSON.stringify(out));
});
