import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * n8n-core reads its settings from the environment when first loaded: give it a user folder of its
 * own (removed when the test file ends) and keep it quiet. Imported before anything from n8n-core.
 */
const userFolder = mkdtempSync(path.join(os.tmpdir(), 'n8n-user-'));
process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_ENCRYPTION_KEY ??= 'test-encryption-key';
process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS = 'false';
process.env.N8N_LOG_LEVEL = 'silent';

afterAll(() => rmSync(userFolder, { recursive: true, force: true }));
