// The FAPI `x-fapi-interaction-id`: the TPP's own id for a request, echoed back, or a new one. The
// listeners make it the request id, so every log line of a request — OAuth endpoint, page or bank
// API — carries the id a TPP quotes when it asks what happened.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const INTERACTION_ID_HEADER = 'x-fapi-interaction-id';

/** Log field name of the request id on every listener. */
export const INTERACTION_ID_LOG_LABEL = 'interactionId';

// RFC 4122 textual form; anything else is replaced rather than echoed into our logs and responses.
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isInteractionId(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

export function interactionIdOf(headers: IncomingHttpHeaders): string {
  const sent = headers[INTERACTION_ID_HEADER];
  return isInteractionId(sent) ? sent : randomUUID();
}
