// The Snapshot's security field group: the types the security source returns
// (src/sources/security-types.ts), re-exported for the stages after the snapshot.
export type {
  AuthAttemptCount,
  AuthSourceCount,
  CertificateInfo,
  ListenerInfo,
  PermissionInfo,
  SecurityInfo,
} from '../sources/index.js';
