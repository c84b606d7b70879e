import type { IncomingMessage } from "node:http";

/** One request header's value (the first, when it was sent twice); `name` in lower case. */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value[0] : value;
}
