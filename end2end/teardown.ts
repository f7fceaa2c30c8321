// Removes this run's server folders (their SQLite databases) once the tests are done.
import * as fs from 'fs';

export default function teardown() {
  const dir = process.env.PROSPECTA_E2E_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
