// The monitor URL as a browser reaches it: code-server's asExternalUri maps a localhost URL to its port proxy and drops
// path and query (so "Open Monitor in Browser" opened a page without the token); VS Code desktop keeps them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withOriginalPathAndQuery } from '../../src/extension/model/externalUrl';

const original = 'http://127.0.0.1:39547/monitor?token=0123456789abcdef0123456789abcdef';

test("code-server's proxy form gets the monitor path and the token back", () => {
  assert.equal(
    withOriginalPathAndQuery(original, 'http://127.0.0.1:42321/proxy/39547/'),
    'http://127.0.0.1:42321/proxy/39547/monitor?token=0123456789abcdef0123456789abcdef',
  );
});

test('an external form that kept path and query (VS Code desktop, SSH forwarding) is left as it is', () => {
  assert.equal(withOriginalPathAndQuery(original, original), original);
  assert.equal(
    withOriginalPathAndQuery(original, 'https://abc-39547.tunnel.example/monitor?token=0123456789abcdef0123456789abcdef'),
    'https://abc-39547.tunnel.example/monitor?token=0123456789abcdef0123456789abcdef',
  );
});

test('a forwarded host with no path gets both', () => {
  assert.equal(
    withOriginalPathAndQuery(original, 'https://abc-39547.tunnel.example/'),
    'https://abc-39547.tunnel.example/monitor?token=0123456789abcdef0123456789abcdef',
  );
});
