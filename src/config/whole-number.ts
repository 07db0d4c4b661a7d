// A whole-number setting within bounds, with the message every such setting gives when it is not one.
import { ConfigError } from './config.ts';

export function wholeNumberSetting(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
  throw new ConfigError(`${name}=${raw} is not valid: use a whole number from ${min} to ${max} (default ${fallback})`);
}
