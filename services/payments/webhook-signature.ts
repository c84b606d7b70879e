import { createHmac, timingSafeEqual } from "node:crypto";

/** A signature is hex(HMAC-SHA256): 64 hex digits. */
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** `X-Razorpay-Signature` of a webhook body: hex(HMAC-SHA256(secret, rawBody)). */
export function signWebhook(secret: string, rawBody: string): string {
	return createHmac("sha256", secret).update(rawBody, "utf8").digest("hex");
}

/**
 * True when `signature` is the body's signature under `secret`. Compared in constant time, so the
 * answer's timing says nothing about how many leading bytes of a guess were right. The signature is
 * over the exact bytes received: a re-serialised body would not match.
 */
export function verifyWebhookSignature(secret: string, rawBody: string, signature: unknown): boolean {
	if (typeof signature !== "string" || !HEX_SHA256.test(signature)) return false;
	const expected = Buffer.from(signWebhook(secret, rawBody), "hex");
	const given = Buffer.from(signature, "hex");
	// timingSafeEqual throws on different lengths; the pattern above already fixes the length.
	return given.length === expected.length && timingSafeEqual(given, expected);
}
