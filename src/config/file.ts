// The optional settings file (GINKO_CONFIG_FILE): a JSON object whose keys are the same names as the
// environment variables, so one table in README.md documents both. Values may be JSON strings,
// numbers or booleans; they are read exactly as the environment's text would be.
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './config.ts';

/** A settings file is a few dozen lines; anything far larger is not one. */
const FILE_MAX_BYTES = 64 * 1024;

export function readSettingsFile(path: string): Record<string, string> {
  let text: string;
  try {
    if (statSync(path).size > FILE_MAX_BYTES) throw new ConfigError(`GINKO_CONFIG_FILE=${path} is larger than ${FILE_MAX_BYTES} bytes: it should hold only settings`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`GINKO_CONFIG_FILE=${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): check the path and that this user may read it`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`GINKO_CONFIG_FILE=${path} is not valid JSON (${(error as Error).message}): write one object, e.g. {"GINKO_PORT": 8443}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`GINKO_CONFIG_FILE=${path} must hold one JSON object of settings, e.g. {"GINKO_PORT": 8443}`);
  }
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(`GINKO_CONFIG_FILE=${path}: ${name} must be a string, number or boolean, as its environment variable would be`);
    }
    settings[name] = String(value);
  }
  return settings;
}
