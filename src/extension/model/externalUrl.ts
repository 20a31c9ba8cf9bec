// A URL of the hub (the /monitor page, which carries the token) as the person's browser reaches it. VS Code's
// asExternalUri keeps the path and query, but code-server maps http://127.0.0.1:PORT/monitor?token=… to its port proxy
// as http://host/proxy/PORT/ — path and query dropped, so the browser got a page without the token (seen in the
// extension-host test). What the external form lacks is put back from the original.

export function withOriginalPathAndQuery(original: string, external: string): string {
  const from = new URL(original);
  const to = new URL(external);
  const path = from.pathname === '/' ? '' : from.pathname;
  if (path && !to.pathname.endsWith(path)) to.pathname = to.pathname.replace(/\/+$/, '') + path;
  if (!to.search && from.search) to.search = from.search;
  return to.toString();
}
