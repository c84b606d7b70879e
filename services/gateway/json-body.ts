import type { IncomingMessage, ServerResponse } from "node:http";
import { ClientError } from "../../lib/errors";

type Next = (err?: unknown) => void;
type BodyRequest = IncomingMessage & { body?: unknown };

/** A Content-Type header's media type and charset, lower-cased (parsed once per request). */
function contentTypeOf(header: string | undefined): { media: string; charset?: string } {
	if (!header) return { media: "" };
	const end = header.indexOf(";");
	if (end === -1) return { media: header.trim().toLowerCase() };
	const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(header)?.[1]?.toLowerCase();
	return { media: header.slice(0, end).trim().toLowerCase(), charset };
}

/**
 * The gateway's JSON body reader, in place of body-parser's: a `POST` with `Content-Type:
 * application/json` gets `req.body`; any other request goes on without one, as with body-parser.
 * UTF-8 only and no `Content-Encoding` (415 otherwise); at most `limitBytes` (413); strict: only an
 * object or an array (400 otherwise). Refusals are client errors (no stack trace) typed with
 * body-parser's names for the same failures (`entity.parse.failed`, ...), which `toErrorBody` maps.
 * Why our own: body-parser's layers (type-is, raw-body, iconv-lite, http-errors) were a large share of the
 * gateway's CPU under load; `npm run bench:json-body` compares both (figures: README, "Deviations").
 */
export function jsonBodyReader(limitBytes: number) {
	return function readJsonBody(req: BodyRequest, _res: ServerResponse, next: Next): void {
		const headers = req.headers;
		const declared = headers["content-length"];
		const hasBody = headers["transfer-encoding"] !== undefined || (declared !== undefined && declared !== "");
		const type = contentTypeOf(headers["content-type"]);
		if (!hasBody || type.media !== "application/json") {
			next();
			return;
		}
		const refusal = refusalByHeaders(headers["content-encoding"], type.charset, declared, limitBytes);
		if (refusal) {
			// Answered at once: Node reads and drops the rest of the body, so the connection stays usable.
			next(refusal);
			return;
		}

		readBody(req, limitBytes, next, (bytes) => {
			try {
				req.body = parseStrict(bytes.toString("utf8"));
			} catch {
				next(new ClientError("the request body is not valid JSON", 400, "entity.parse.failed"));
				return;
			}
			next();
		});
	};
}

/** What the headers alone rule out: an encoding, a charset or a declared length we do not take. */
function refusalByHeaders(
	encoding: string | undefined,
	charset: string | undefined,
	declaredLength: string | undefined,
	limitBytes: number,
): ClientError | undefined {
	if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
		return new ClientError(`unsupported content encoding "${encoding}"`, 415, "encoding.unsupported");
	}
	if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
		return new ClientError(`unsupported charset "${charset}"`, 415, "charset.unsupported");
	}
	if (declaredLength !== undefined && Number(declaredLength) > limitBytes) return tooLarge(limitBytes);
	return undefined;
}

function tooLarge(limitBytes: number): ClientError {
	return new ClientError(`the request body is larger than ${limitBytes} bytes`, 413, "entity.too.large");
}

/** An empty body is `{}`; anything else must be a JSON object or array. */
function parseStrict(text: string): unknown {
	const first = /\S/.exec(text)?.[0];
	if (first === undefined) return {};
	if (first !== "{" && first !== "[") throw new SyntaxError("not an object or array");
	return JSON.parse(text);
}

type RawBodyRequest = IncomingMessage & { body?: unknown; rawBody?: string };

/**
 * For signed webhooks: the body exactly as sent, as `req.rawBody` (UTF-8 text, at most `limitBytes`),
 * whatever its content type; `req.body` stays empty. The signature is over these bytes, so they are
 * checked before anything parses them (the action does both).
 */
export function rawBodyReader(limitBytes: number) {
	return function readRawBody(req: RawBodyRequest, _res: ServerResponse, next: Next): void {
		const declared = req.headers["content-length"];
		if (declared !== undefined && Number(declared) > limitBytes) {
			next(tooLarge(limitBytes));
			return;
		}
		readBody(req, limitBytes, next, (bytes) => {
			req.rawBody = bytes.toString("utf8");
			req.body = {};
			next();
		});
	};
}

/** Reads the whole body (at most `limitBytes`: 413 past it) and hands its bytes to `done`; failures go to `next`. */
function readBody(req: IncomingMessage, limitBytes: number, next: Next, done: (bytes: Buffer) => void): void {
	const chunks: Buffer[] = [];
	let received = 0;
	let failure: ClientError | undefined;
	req.on("data", (chunk: Buffer) => {
		received += chunk.length;
		if (received > limitBytes) failure ??= tooLarge(limitBytes);
		if (!failure) chunks.push(chunk);
	});
	req.once("error", () => next(new ClientError("the request body was not received", 400, "request.aborted")));
	req.once("end", () => {
		if (failure) next(failure);
		else done(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
	});
}
