// Host names as OpenStack queues and connections spell them.
import { isAddress } from './classify.js';

/**
 * The host a per-host queue's server part names: cinder's `host@backend` (and `#pool`) is
 * the host `host`.
 */
export function hostOfServer(server: string): string {
  let end = server.length;
  const at = server.indexOf('@');
  if (at > 0) end = at;
  const hash = server.indexOf('#');
  if (hash > 0 && hash < end) end = hash;
  return server.slice(0, end);
}

/**
 * Whether two host names mean the same machine: equal ignoring case and a cinder backend, or
 * one is the short name of the other (`cmp-02` vs `cmp-02.dc1.example.com`). Addresses only
 * match exactly.
 */
export function sameHost(a: string, b: string): boolean {
  const x = hostOfServer(a).toLowerCase();
  const y = hostOfServer(b).toLowerCase();
  if (x === y) return x !== '';
  if (x === '' || y === '' || isAddress(x) || isAddress(y)) return false;
  const xs = x.indexOf('.');
  const ys = y.indexOf('.');
  if (xs < 0 && ys > 0) return y.slice(0, ys) === x;
  if (ys < 0 && xs > 0) return x.slice(0, xs) === y;
  return false;
}
