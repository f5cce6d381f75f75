// vitest globalSetup for the integration project.
// Setup: clean what crashed earlier runs left behind, make sure the Debian packages are
// installed, and open a run registry that the test workers record their processes,
// namespaces and temp dirs in (they inherit WARREN_HARNESS_RUN_ID).
// Teardown: kill and delete whatever is still recorded for this run.

import * as path from 'node:path';
import { REGISTRY_ROOT, cleanupRunDir, createSharedRun, ensureDeps, sweepStaleRuns } from './util.js';

export default function setup(): () => void {
  const swept = sweepStaleRuns();
  if (swept > 0) console.warn(`[warren harness] cleaned ${swept} resources left by earlier crashed runs`);
  ensureDeps();
  const id = createSharedRun();
  process.env.WARREN_HARNESS_RUN_ID = id;

  return () => {
    const left = cleanupRunDir(path.join(REGISTRY_ROOT, id));
    if (left > 0) console.warn(`[warren harness] teardown removed ${left} resources the tests did not stop`);
  };
}
