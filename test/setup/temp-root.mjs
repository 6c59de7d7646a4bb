// Every temp folder a test run makes lives under one root, made here and
// removed in teardown: tests call os.tmpdir() (and the hub processes they
// start inherit TMPDIR), so nothing a run makes is left in the system temp
// folder, even when a test fails before its own cleanup.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function setup() {
  const root = mkdtempSync(path.join(tmpdir(), 'hatago-test-run-'));
  process.env.HATAGO_TEST_TMP_ROOT = root;
  process.env.TMPDIR = root;
  // Every hub a test starts answers a stage failure with a code its stage does
  // not declare as ERR_INTERNAL (src/pipeline/stage.ts): the error-path tests,
  // which assert exact codes, then fail on any drift from the lifecycle table.
  process.env.HATAGO_STAGE_CHECK = 'strict';
}

export function teardown() {
  const root = process.env.HATAGO_TEST_TMP_ROOT;
  if (root && path.basename(root).startsWith('hatago-test-run-')) rmSync(root, { recursive: true, force: true });
}
