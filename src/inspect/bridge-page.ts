import { randomBytes } from 'node:crypto';

/** The Stately inspector UI the page embeds. */
export const DEFAULT_INSPECTOR_UI = 'https://stately.ai/inspect';

/** Events the page holds while the embedded inspector is not ready yet. */
const PAGE_BUFFER = 20_000;

/**
 * The bridge's page: the Stately inspector in an iframe, fed from the
 * bridge's WebSocket. Returns the HTML and the headers to send with it.
 *
 * What makes it safe to open:
 * - events go to the iframe with `postMessage(data, <inspector origin>)`,
 *   never `'*'`, so if the frame were navigated elsewhere nothing leaks;
 * - only messages from that frame and origin count as "connected";
 * - the token in the page's URL stays out of `Referer` (`no-referrer`) and
 *   out of caches (`no-store`); a content security policy with a per-
 *   response nonce lets only this script run and only the inspector be
 *   framed;
 * - the page's own buffer is bounded, like every buffer of the bridge.
 *
 * @internal
 */
export function bridgePage(options: { port: number; token: string; inspectorUi?: string }): { html: string; headers: Record<string, string> } {
  const ui = new URL(options.inspectorUi ?? DEFAULT_INSPECTOR_UI);
  const nonce = randomBytes(16).toString('base64');
  const config = JSON.stringify({ ui: ui.href, origin: ui.origin, token: options.token, max: PAGE_BUFFER }).replace(/</g, '\\u003c');
  const html = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>actorq inspector</title>
<style nonce="${nonce}">
  html, body { height: 100%; margin: 0; }
  iframe { width: 100%; height: calc(100% - 1.6em); border: 0; display: block; }
  #status { font: 12px/1.6em sans-serif; padding: 0 8px; background: #eee; }
</style>
</head>
<body>
<div id="status">connecting…</div>
<iframe id="inspector" referrerpolicy="no-referrer"></iframe>
<script nonce="${nonce}">
(() => {
  const config = ${config};
  const frame = document.getElementById('inspector');
  const status = document.getElementById('status');
  const waiting = [];
  let ready = false;
  const post = (data) => frame.contentWindow && frame.contentWindow.postMessage(data, config.origin);
  window.addEventListener('message', (e) => {
    // Only the embedded inspector may say it is ready.
    if (e.origin !== config.origin || e.source !== frame.contentWindow) return;
    if (e.data && e.data.type === '@statelyai.connected') {
      ready = true;
      for (const data of waiting.splice(0)) post(data);
    }
  });
  frame.src = config.ui;
  const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/?token=' + encodeURIComponent(config.token));
  socket.onopen = () => { status.textContent = 'connected to actorq'; };
  socket.onclose = (e) => { status.textContent = 'disconnected' + (e.reason ? ': ' + e.reason : '') + ' (reload to reconnect)'; };
  socket.onmessage = (m) => {
    let data;
    try { data = JSON.parse(m.data); } catch { return; }
    if (ready) post(data);
    else if (waiting.length < config.max) waiting.push(data);
  };
})();
</script>
</body>
</html>
`;
  const self = `127.0.0.1:${options.port} localhost:${options.port}`;
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'content-security-policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      `frame-src ${ui.origin}`,
      `connect-src ${self.split(' ').map((h) => `ws://${h}`).join(' ')}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  };
  return { html, headers };
}
