import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { headerOf } from "./headers";

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's correlation id: the caller's `X-Correlation-Id` (or `X-Request-Id`) when it is a
 * safe token, else a new one. An unsafe header is replaced, not echoed, so it cannot inject log
 * lines or response headers.
 */
export function correlationIdOf(req: IncomingMessage): string {
	const candidate = headerOf(req, "x-correlation-id") ?? headerOf(req, "x-request-id");
	return candidate && SAFE_ID.test(candidate) ? candidate : randomUUID();
}
